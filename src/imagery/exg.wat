;; Orthophoto classification's two pixel loops in WebAssembly (see exg-kernel.ts for the memory layout
;; and why). Assembled into exg.wasm.ts by scripts/assemble-wasm.mjs (wabt); a test checks that the
;; committed bytes are this text's.
;;
;; exg_span is classify.ts's exgKernel (8-bit RGB, ExG through the (G, R + B) table), the same rules in
;; the same order, for one run of pixels; classes maps index codes to classes through the threshold,
;; sixteen at a time.
(module
  (memory (export "memory") 1)

  ;; n pixels from $src (8-bit samples, $bands per pixel, red/green/blue at $iR/$iG/$iB, alpha at $iA
  ;; or −1) to index codes at $dst: 253 no data (internal mask byte 0 at $pmask + k when $pmask ≠ 0,
  ;; alpha 0, or a band equal to $nodata ≥ 0), 251 water (blue above green and above $ratio × red —
  ;; 5B > 7R exactly when $ratio is NaN, for 1.4 — with R + G + B below 267.75), else the table's code at
  ;; $table + 511·G + R + B (an index bin, or 252 shadow).
  ;; Counting: with $inside = 0 every pixel counts in A; else a pixel with $inside[k] = 1 counts in A,
  ;; one with only $hist[k] = 1 in B (the histogram's region holds the license's). Counters: u32 at
  ;; $counts + 2048·(k mod 4) + 4·code (A) and + 1024 more (B); four lanes, so that runs of one code do
  ;; not wait on one counter's store.
  (func (export "exg_span")
    (param $src i32) (param $bands i32) (param $n i32) (param $dst i32)
    (param $hist i32) (param $inside i32) (param $pmask i32)
    (param $iR i32) (param $iG i32) (param $iB i32) (param $iA i32) (param $nodata i32)
    (param $ratio f64) (param $table i32) (param $counts i32)
    (local $k i32) (local $R i32) (local $G i32) (local $B i32) (local $code i32) (local $at i32) (local $special i32) (local $integerRatio i32)
    (if (i32.le_s (local.get $n) (i32.const 0)) (then (return)))
    (local.set $integerRatio (f64.ne (local.get $ratio) (local.get $ratio)))
    (local.set $special (i32.or (i32.or (i32.ne (local.get $pmask) (i32.const 0)) (i32.ge_s (local.get $iA) (i32.const 0))) (i32.ge_s (local.get $nodata) (i32.const 0))))
    (loop $pixels
      (local.set $R (i32.load8_u (i32.add (local.get $src) (local.get $iR))))
      (local.set $G (i32.load8_u (i32.add (local.get $src) (local.get $iG))))
      (local.set $B (i32.load8_u (i32.add (local.get $src) (local.get $iB))))
      (block $coded
        (if (local.get $special)
          (then
            (if (i32.or
                  (i32.or
                    (i32.and (i32.ne (local.get $pmask) (i32.const 0)) (i32.eqz (i32.load8_u (i32.add (local.get $pmask) (local.get $k)))))
                    (i32.and (i32.ge_s (local.get $iA) (i32.const 0)) (i32.eqz (i32.load8_u (i32.add (local.get $src) (local.get $iA))))))
                  (i32.and (i32.ge_s (local.get $nodata) (i32.const 0))
                    (i32.or (i32.or (i32.eq (local.get $R) (local.get $nodata)) (i32.eq (local.get $G) (local.get $nodata))) (i32.eq (local.get $B) (local.get $nodata)))))
              (then (local.set $code (i32.const 253)) (br $coded)))))
        (if (i32.and
              (i32.and
                (i32.gt_u (local.get $B) (local.get $G))
                (if (result i32) (local.get $integerRatio)
                  (then (i32.gt_u (i32.mul (local.get $B) (i32.const 5)) (i32.mul (local.get $R) (i32.const 7))))
                  (else (f64.gt (f64.convert_i32_u (local.get $B)) (f64.mul (local.get $ratio) (f64.convert_i32_u (local.get $R)))))))
              (i32.lt_u (i32.mul (i32.add (i32.add (local.get $R) (local.get $G)) (local.get $B)) (i32.const 20)) (i32.const 5355)))
          (then (local.set $code (i32.const 251)) (br $coded)))
        (local.set $code (i32.load8_u (i32.add (local.get $table)
          (i32.add (i32.mul (local.get $G) (i32.const 511)) (i32.add (local.get $R) (local.get $B)))))))
      (i32.store8 (i32.add (local.get $dst) (local.get $k)) (local.get $code))
      ;; The counter: A, B or none.
      (local.set $at (i32.add (local.get $counts) (i32.add (i32.shl (i32.and (local.get $k) (i32.const 3)) (i32.const 11)) (i32.shl (local.get $code) (i32.const 2)))))
      (block $counted
        (if (local.get $inside)
          (then
            (if (i32.eqz (i32.load8_u (i32.add (local.get $inside) (local.get $k))))
              (then
                (br_if $counted (i32.eqz (i32.load8_u (i32.add (local.get $hist) (local.get $k)))))
                (local.set $at (i32.add (local.get $at) (i32.const 1024)))))))
        (i32.store (local.get $at) (i32.add (i32.load (local.get $at)) (i32.const 1))))
      (local.set $src (i32.add (local.get $src) (local.get $bands)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $pixels (i32.lt_u (local.get $k) (local.get $n)))))

  ;; n index codes at $src to classes at $dst: bins below $firstGreen bare (2), the bins from it to 249
  ;; green (1), 251 water (3), 252 shadow (4), anything else no data (0); sixteen at a time
  ;; (0 ≤ $firstGreen ≤ 250: the threshold's bin + 1).
  (func (export "classes") (param $src i32) (param $n i32) (param $dst i32) (param $firstGreen i32)
    (local $k i32) (local $end i32) (local $c v128) (local $t v128) (local $bins v128) (local $code i32)
    (local.set $t (i8x16.splat (local.get $firstGreen)))
    (local.set $bins (i8x16.splat (i32.const 250)))
    (local.set $end (i32.and (local.get $n) (i32.const -16)))
    (block $vectorsDone
      (br_if $vectorsDone (i32.eqz (local.get $end)))
      (loop $vectors
        (local.set $c (v128.load (i32.add (local.get $src) (local.get $k))))
        (v128.store (i32.add (local.get $dst) (local.get $k))
          (v128.or
            (v128.or
              ;; green: firstGreen ≤ c < 250 → 1; bare: c < firstGreen → 2
              (v128.and (v128.and (i8x16.ge_u (local.get $c) (local.get $t)) (i8x16.lt_u (local.get $c) (local.get $bins))) (i8x16.splat (i32.const 1)))
              (v128.and (i8x16.lt_u (local.get $c) (local.get $t)) (i8x16.splat (i32.const 2))))
            (v128.or
              (v128.and (i8x16.eq (local.get $c) (i8x16.splat (i32.const 251))) (i8x16.splat (i32.const 3)))
              (v128.and (i8x16.eq (local.get $c) (i8x16.splat (i32.const 252))) (i8x16.splat (i32.const 4))))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br_if $vectors (i32.lt_u (local.get $k) (local.get $end)))))
    (block $done
      (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
      (loop $rest
        (local.set $code (i32.load8_u (i32.add (local.get $src) (local.get $k))))
        (i32.store8 (i32.add (local.get $dst) (local.get $k))
          (if (result i32) (i32.lt_u (local.get $code) (local.get $firstGreen))
            (then (i32.const 2))
            (else (if (result i32) (i32.lt_u (local.get $code) (i32.const 250))
              (then (i32.const 1))
              (else (if (result i32) (i32.eq (local.get $code) (i32.const 251))
                (then (i32.const 3))
                (else (select (i32.const 4) (i32.const 0) (i32.eq (local.get $code) (i32.const 252))))))))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $rest (i32.lt_u (local.get $k) (local.get $n))))))
)
