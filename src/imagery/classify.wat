;; Classification's pixel loops in WebAssembly (see classify-kernel.ts for the memory layout and
;; why). Assembled into classify.wasm.ts by scripts/assemble-wasm.mjs (wabt); a test checks that the
;; committed bytes are this text's.
;;
;; exg_span is classify.ts's exgKernel (8-bit RGB, ExG through the (G, R + B) table) and index_span its
;; kernel (any index, samples as doubles), the same rules in the same order and the same floating-point
;; operations, for one run of pixels; classes maps index codes to classes through the threshold,
;; sixteen at a time.
(module
  (memory (export "memory") 1)

;; n pixels from $src (8-bit samples, $bands per pixel, red/green/blue at $iR/$iG/$iB, alpha at $iA
  ;; or −1) to index codes at $dst: 253 no data (internal mask byte 0 at $pmask + k when $pmask ≠ 0,
  ;; alpha 0, or a band equal to $nodata ≥ 0), 251 water (blue above green and above $ratio × red —
  ;; 5B > 7R exactly when $ratio is NaN, for 1.4 — with R + G + B below 267.75), else the table's code at
  ;; $table + 511·G + R + B: 252 shadow (R + G + B below $shadowSum), else ExG's bin, floor(250·G/(R + G + B))
  ;; (at most 249; 83 for black). Plain RGB (no alpha, mask or no data, ratio 1.4) goes sixteen pixels at
  ;; a time without the table: the same codes (a float32 quotient of these integers floors exactly; signed
  ;; lanes throughout, as every value here is below 2¹⁵: x64 has no unsigned conversions or compares).
  ;; The caller counts the codes (count), by the runs of the license and its buffer.
  (func (export "exg_span")
    (param $src i32) (param $bands i32) (param $n i32) (param $dst i32) (param $pmask i32)
    (param $iR i32) (param $iG i32) (param $iB i32) (param $iA i32) (param $nodata i32)
    (param $ratio f64) (param $table i32) (param $shadowSum i32)
    (local $k i32) (local $R i32) (local $G i32) (local $B i32) (local $code i32) (local $special i32) (local $integerRatio i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $r v128) (local $g v128) (local $b v128)
    (local $rl v128) (local $rh v128) (local $gl v128) (local $gh v128) (local $bl v128) (local $bh v128) (local $sl v128) (local $sh v128)
    (local $t v128) (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128) (local $water v128) (local $dark v128) (local $black v128)
    (if (i32.le_s (local.get $n) (i32.const 0)) (then (return)))
    (local.set $integerRatio (f64.ne (local.get $ratio) (local.get $ratio)))
    (local.set $special (i32.or (i32.or (i32.ne (local.get $pmask) (i32.const 0)) (i32.ge_s (local.get $iA) (i32.const 0))) (i32.ge_s (local.get $nodata) (i32.const 0))))
    (if (i32.and
          (i32.and (i32.and (i32.eq (local.get $bands) (i32.const 3)) (i32.eqz (local.get $special))) (local.get $integerRatio))
          (i32.and (i32.and (i32.eqz (local.get $iR)) (i32.eq (local.get $iG) (i32.const 1))) (i32.eq (local.get $iB) (i32.const 2))))
      (then
        (block $simdDone
          (br_if $simdDone (i32.lt_u (local.get $n) (i32.const 16)))
          (loop $sixteen
            (local.set $v0 (v128.load offset=0 (local.get $src)))
            (local.set $v1 (v128.load offset=16 (local.get $src)))
            (local.set $v2 (v128.load offset=32 (local.get $src)))
            ;; Red, green and blue of sixteen pixels from 48 interleaved bytes.
            (local.set $t (i8x16.shuffle 0 3 6 9 12 15 18 21 24 27 30 0 0 0 0 0 (local.get $v0) (local.get $v1)))
            (local.set $r (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 17 20 23 26 29 (local.get $t) (local.get $v2)))
            (local.set $t (i8x16.shuffle 1 4 7 10 13 16 19 22 25 28 31 0 0 0 0 0 (local.get $v0) (local.get $v1)))
            (local.set $g (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 18 21 24 27 30 (local.get $t) (local.get $v2)))
            (local.set $t (i8x16.shuffle 2 5 8 11 14 17 20 23 26 29 0 0 0 0 0 0 (local.get $v0) (local.get $v1)))
            (local.set $b (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 16 19 22 25 28 31 (local.get $t) (local.get $v2)))
            (local.set $rl (i16x8.extend_low_i8x16_u (local.get $r)))
            (local.set $rh (i16x8.extend_high_i8x16_u (local.get $r)))
            (local.set $gl (i16x8.extend_low_i8x16_u (local.get $g)))
            (local.set $gh (i16x8.extend_high_i8x16_u (local.get $g)))
            (local.set $bl (i16x8.extend_low_i8x16_u (local.get $b)))
            (local.set $bh (i16x8.extend_high_i8x16_u (local.get $b)))
            (local.set $sl (i16x8.add (i16x8.add (local.get $rl) (local.get $gl)) (local.get $bl)))
            (local.set $sh (i16x8.add (i16x8.add (local.get $rh) (local.get $gh)) (local.get $bh)))
            ;; Water: B > G, 5B > 7R, S < 268 (S·20 < 5355).
            (local.set $water (i8x16.narrow_i16x8_s
              (v128.and (v128.and (i16x8.gt_s (local.get $bl) (local.get $gl))
                (i16x8.gt_s (i16x8.mul (local.get $bl) (i16x8.splat (i32.const 5))) (i16x8.mul (local.get $rl) (i16x8.splat (i32.const 7)))))
                (i16x8.lt_s (local.get $sl) (i16x8.splat (i32.const 268))))
              (v128.and (v128.and (i16x8.gt_s (local.get $bh) (local.get $gh))
                (i16x8.gt_s (i16x8.mul (local.get $bh) (i16x8.splat (i32.const 5))) (i16x8.mul (local.get $rh) (i16x8.splat (i32.const 7)))))
                (i16x8.lt_s (local.get $sh) (i16x8.splat (i32.const 268))))))
            (local.set $dark (i8x16.narrow_i16x8_s
              (i16x8.lt_s (local.get $sl) (i16x8.splat (local.get $shadowSum)))
              (i16x8.lt_s (local.get $sh) (i16x8.splat (local.get $shadowSum)))))
            (local.set $black (i8x16.narrow_i16x8_s
              (i16x8.eq (local.get $sl) (i16x8.splat (i32.const 0)))
              (i16x8.eq (local.get $sh) (i16x8.splat (i32.const 0)))))
            ;; floor(250·G/S) four pixels at a time in float32 lanes, plus 2 to the 23rd: the float's low byte is then
            ;; the integer (no float-to-integer conversion: eight x64 instructions each); at most 249.
            (local.set $q0 (f32x4.add (f32x4.splat (f32.const 8388608)) (f32x4.floor (f32x4.div
              (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (local.get $gl))) (f32x4.splat (f32.const 250)))
              (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (local.get $sl)))))))
            (local.set $q1 (f32x4.add (f32x4.splat (f32.const 8388608)) (f32x4.floor (f32x4.div
              (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_u (local.get $gl))) (f32x4.splat (f32.const 250)))
              (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_u (local.get $sl)))))))
            (local.set $q2 (f32x4.add (f32x4.splat (f32.const 8388608)) (f32x4.floor (f32x4.div
              (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (local.get $gh))) (f32x4.splat (f32.const 250)))
              (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (local.get $sh)))))))
            (local.set $q3 (f32x4.add (f32x4.splat (f32.const 8388608)) (f32x4.floor (f32x4.div
              (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_u (local.get $gh))) (f32x4.splat (f32.const 250)))
              (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_u (local.get $sh)))))))
            (local.set $t (i8x16.min_u (i8x16.splat (i32.const 249)) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (i8x16.shuffle 0 4 8 12 16 20 24 28 0 0 0 0 0 0 0 0 (local.get $q0) (local.get $q1))
              (i8x16.shuffle 0 4 8 12 16 20 24 28 0 0 0 0 0 0 0 0 (local.get $q2) (local.get $q3)))))
            ;; Black (S = 0) is ExG 0: bin 83; then shadow, then water over all.
            (local.set $t (v128.bitselect (i8x16.splat (i32.const 83)) (local.get $t) (local.get $black)))
            (local.set $t (v128.bitselect (i8x16.splat (i32.const 252)) (local.get $t) (local.get $dark)))
            (v128.store (i32.add (local.get $dst) (local.get $k))
              (v128.bitselect (i8x16.splat (i32.const 251)) (local.get $t) (local.get $water)))
            (local.set $src (i32.add (local.get $src) (i32.const 48)))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br_if $sixteen (i32.le_u (i32.add (local.get $k) (i32.const 16)) (local.get $n)))))))
    ;; The rest one at a time, through the table.
    (block $scalarDone
      (br_if $scalarDone (i32.ge_u (local.get $k) (local.get $n)))
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
        (local.set $src (i32.add (local.get $src) (local.get $bands)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $pixels (i32.lt_u (local.get $k) (local.get $n))))))

;; n pixels of 8-bit ($wide 0) or 16-bit ($wide 1) unsigned samples ($bands per pixel; red, green and
  ;; NIR at $iR/$iG/$iN, blue at $iB or −1, alpha at $iA or −1) to NDVI's index codes at $dst, decided in
  ;; integers: 253 no data (mask byte 0 at $pmask + k when $pmask ≠ 0, alpha 0, or a band equal to
  ;; $nodata ≥ 0), 251 water (NDWI above 0: G > N), 252 shadow (the bands' sum below $shadowSum), else
  ;; NDVI's bin, floor(250·N / (N + R)) (at most 249; 125, NDVI 0, where N + R = 0). Four 8-bit bands
  ;; without alpha, mask or no data go sixteen pixels at a time: a float32 quotient of these integers
  ;; floors exactly (below 250·255 over at most 510). The caller counts the codes (count).
  (func (export "nir_span")
    (param $src i32) (param $wide i32) (param $bands i32) (param $n i32) (param $dst i32) (param $pmask i32)
    (param $iR i32) (param $iG i32) (param $iB i32) (param $iN i32) (param $iA i32) (param $nodata i32) (param $shadowSum i32)
    (local $k i32) (local $stride i32) (local $R i32) (local $G i32) (local $B i32) (local $N i32) (local $D i32) (local $code i32) (local $special i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $order v128) (local $r v128) (local $g v128) (local $b v128) (local $nn v128)
    (local $rl v128) (local $rh v128) (local $gl v128) (local $gh v128) (local $nl v128) (local $nh v128) (local $sl v128) (local $sh v128)
    (local $dl v128) (local $dh v128) (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128) (local $t v128)
    (local $water v128) (local $dark v128) (local $zero v128)
    (if (i32.le_s (local.get $n) (i32.const 0)) (then (return)))
    (local.set $stride (i32.shl (local.get $bands) (local.get $wide)))
    (local.set $special (i32.or (i32.or (i32.ne (local.get $pmask) (i32.const 0)) (i32.ge_s (local.get $iA) (i32.const 0))) (i32.ge_s (local.get $nodata) (i32.const 0))))
    (if (i32.and
          (i32.and (i32.eqz (local.get $wide)) (i32.eq (local.get $bands) (i32.const 4)))
          (i32.and (i32.eqz (local.get $special)) (i32.ge_s (local.get $iB) (i32.const 0))))
      (then
        ;; Byte j·4 + p of $order: pixel p's sample of band j (red, green, blue, NIR) in a vector of four pixels.
        (local.set $order (i8x16.add (v128.const i8x16 0 4 8 12 0 4 8 12 0 4 8 12 0 4 8 12)
          (i32x4.replace_lane 3
            (i32x4.replace_lane 2
              (i32x4.replace_lane 1
                (i32x4.splat (i32.mul (local.get $iR) (i32.const 0x01010101)))
                (i32.mul (local.get $iG) (i32.const 0x01010101)))
              (i32.mul (local.get $iB) (i32.const 0x01010101)))
            (i32.mul (local.get $iN) (i32.const 0x01010101)))))
        (block $simdDone
          (br_if $simdDone (i32.lt_u (local.get $n) (i32.const 16)))
          (loop $sixteen
            ;; Sixteen pixels' 64 bytes transposed to red, green, blue and NIR: each vector's four pixels to
            ;; their bands in that order ($order), then 32-bit and 64-bit interleaves (single instructions on x64).
            (local.set $v0 (i8x16.swizzle (v128.load offset=0 (local.get $src)) (local.get $order)))
            (local.set $v1 (i8x16.swizzle (v128.load offset=16 (local.get $src)) (local.get $order)))
            (local.set $v2 (i8x16.swizzle (v128.load offset=32 (local.get $src)) (local.get $order)))
            (local.set $v3 (i8x16.swizzle (v128.load offset=48 (local.get $src)) (local.get $order)))
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v0) (local.get $v1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v0) (local.get $v1)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v2) (local.get $v3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v2) (local.get $v3)))
            (local.set $r (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (local.set $g (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (local.set $b (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (local.set $nn (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            (local.set $rl (i16x8.extend_low_i8x16_u (local.get $r)))
            (local.set $rh (i16x8.extend_high_i8x16_u (local.get $r)))
            (local.set $gl (i16x8.extend_low_i8x16_u (local.get $g)))
            (local.set $gh (i16x8.extend_high_i8x16_u (local.get $g)))
            (local.set $nl (i16x8.extend_low_i8x16_u (local.get $nn)))
            (local.set $nh (i16x8.extend_high_i8x16_u (local.get $nn)))
            (local.set $dl (i16x8.add (local.get $nl) (local.get $rl)))
            (local.set $dh (i16x8.add (local.get $nh) (local.get $rh)))
            (local.set $sl (i16x8.add (i16x8.add (local.get $dl) (local.get $gl)) (i16x8.extend_low_i8x16_u (local.get $b))))
            (local.set $sh (i16x8.add (i16x8.add (local.get $dh) (local.get $gh)) (i16x8.extend_high_i8x16_u (local.get $b))))
            (local.set $water (i8x16.narrow_i16x8_s (i16x8.gt_s (local.get $gl) (local.get $nl)) (i16x8.gt_s (local.get $gh) (local.get $nh))))
            (local.set $dark (i8x16.narrow_i16x8_s
              (i16x8.lt_s (local.get $sl) (i16x8.splat (local.get $shadowSum)))
              (i16x8.lt_s (local.get $sh) (i16x8.splat (local.get $shadowSum)))))
            (local.set $zero (i8x16.narrow_i16x8_s
              (i16x8.eq (local.get $dl) (i16x8.splat (i32.const 0)))
              (i16x8.eq (local.get $dh) (i16x8.splat (i32.const 0)))))
            ;; floor(250·N/D) as ExG's bin above: the low byte of floor(q) plus 2 to the 23rd.
            (local.set $q0 (f32x4.add (f32x4.splat (f32.const 8388608)) (f32x4.floor (f32x4.div
              (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (local.get $nl))) (f32x4.splat (f32.const 250)))
              (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (local.get $dl)))))))
            (local.set $q1 (f32x4.add (f32x4.splat (f32.const 8388608)) (f32x4.floor (f32x4.div
              (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_u (local.get $nl))) (f32x4.splat (f32.const 250)))
              (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_u (local.get $dl)))))))
            (local.set $q2 (f32x4.add (f32x4.splat (f32.const 8388608)) (f32x4.floor (f32x4.div
              (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (local.get $nh))) (f32x4.splat (f32.const 250)))
              (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_u (local.get $dh)))))))
            (local.set $q3 (f32x4.add (f32x4.splat (f32.const 8388608)) (f32x4.floor (f32x4.div
              (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_u (local.get $nh))) (f32x4.splat (f32.const 250)))
              (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_u (local.get $dh)))))))
            (local.set $t (i8x16.min_u (i8x16.splat (i32.const 249)) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (i8x16.shuffle 0 4 8 12 16 20 24 28 0 0 0 0 0 0 0 0 (local.get $q0) (local.get $q1))
              (i8x16.shuffle 0 4 8 12 16 20 24 28 0 0 0 0 0 0 0 0 (local.get $q2) (local.get $q3)))))
            (local.set $t (v128.bitselect (i8x16.splat (i32.const 125)) (local.get $t) (local.get $zero)))
            (local.set $t (v128.bitselect (i8x16.splat (i32.const 252)) (local.get $t) (local.get $dark)))
            (v128.store (i32.add (local.get $dst) (local.get $k))
              (v128.bitselect (i8x16.splat (i32.const 251)) (local.get $t) (local.get $water)))
            (local.set $src (i32.add (local.get $src) (i32.const 64)))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br_if $sixteen (i32.le_u (i32.add (local.get $k) (i32.const 16)) (local.get $n)))))))
    ;; The rest (and every other layout) one pixel at a time.
    (block $scalarDone
      (br_if $scalarDone (i32.ge_u (local.get $k) (local.get $n)))
      (loop $pixels
        (if (local.get $wide)
          (then
            (local.set $R (i32.load16_u (i32.add (local.get $src) (i32.shl (local.get $iR) (i32.const 1)))))
            (local.set $G (i32.load16_u (i32.add (local.get $src) (i32.shl (local.get $iG) (i32.const 1)))))
            (local.set $N (i32.load16_u (i32.add (local.get $src) (i32.shl (local.get $iN) (i32.const 1)))))
            (local.set $B (if (result i32) (i32.ge_s (local.get $iB) (i32.const 0)) (then (i32.load16_u (i32.add (local.get $src) (i32.shl (local.get $iB) (i32.const 1))))) (else (i32.const 0)))))
          (else
            (local.set $R (i32.load8_u (i32.add (local.get $src) (local.get $iR))))
            (local.set $G (i32.load8_u (i32.add (local.get $src) (local.get $iG))))
            (local.set $N (i32.load8_u (i32.add (local.get $src) (local.get $iN))))
            (local.set $B (if (result i32) (i32.ge_s (local.get $iB) (i32.const 0)) (then (i32.load8_u (i32.add (local.get $src) (local.get $iB)))) (else (i32.const 0))))))
        (block $coded
          (if (local.get $special)
            (then
              (if (i32.or
                    (i32.or
                      (i32.and (i32.ne (local.get $pmask) (i32.const 0)) (i32.eqz (i32.load8_u (i32.add (local.get $pmask) (local.get $k)))))
                      (i32.and (i32.ge_s (local.get $iA) (i32.const 0))
                        (i32.eqz (if (result i32) (local.get $wide) (then (i32.load16_u (i32.add (local.get $src) (i32.shl (local.get $iA) (i32.const 1))))) (else (i32.load8_u (i32.add (local.get $src) (local.get $iA))))))))
                    (i32.and (i32.ge_s (local.get $nodata) (i32.const 0))
                      (i32.or
                        (i32.or (i32.eq (local.get $R) (local.get $nodata)) (i32.eq (local.get $G) (local.get $nodata)))
                        (i32.or (i32.eq (local.get $N) (local.get $nodata))
                          (i32.and (i32.ge_s (local.get $iB) (i32.const 0)) (i32.eq (local.get $B) (local.get $nodata)))))))
                (then (local.set $code (i32.const 253)) (br $coded)))))
          (if (i32.gt_u (local.get $G) (local.get $N)) (then (local.set $code (i32.const 251)) (br $coded)))
          (if (i32.lt_u (i32.add (i32.add (local.get $R) (local.get $G)) (i32.add (local.get $B) (local.get $N))) (local.get $shadowSum))
            (then (local.set $code (i32.const 252)) (br $coded)))
          (local.set $D (i32.add (local.get $N) (local.get $R)))
          (if (i32.eqz (local.get $D)) (then (local.set $code (i32.const 125)) (br $coded)))
          (local.set $code (i32.div_u (i32.mul (local.get $N) (i32.const 250)) (local.get $D)))
          (if (i32.gt_u (local.get $code) (i32.const 249)) (then (local.set $code (i32.const 249)))))
        (i32.store8 (i32.add (local.get $dst) (local.get $k)) (local.get $code))
        (local.set $src (i32.add (local.get $src) (local.get $stride)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $pixels (i32.lt_u (local.get $k) (local.get $n))))))

  ;; Count n codes at $dst into counter set $which (0: A, the license's, or every pixel without one; 1: B,
  ;; the histogram's buffer around it): u32 at $counts + 2048·lane + 1024·$which + 4·code, eight lanes so
  ;; that runs of one code do not wait on one counter's store (with four, a run's every fourth pixel did:
  ;; 0.90 → 0.75 ns a pixel on the orthophoto's tiles). Eight codes a load (one 64-bit load, the lanes as the stores' offsets), then the
  ;; rest one at a time.
  (func (export "count") (param $dst i32) (param $n i32) (param $which i32) (param $counts i32)
    (local $k i32) (local $at i32) (local $lo i32) (local $hi i32) (local $eight i64)
    (if (i32.le_s (local.get $n) (i32.const 0)) (then (return)))
    (local.set $counts (i32.add (local.get $counts) (i32.shl (local.get $which) (i32.const 10))))
    (block $eightsDone
      (br_if $eightsDone (i32.lt_u (local.get $n) (i32.const 8)))
      (loop $eights
        (local.set $eight (i64.load (i32.add (local.get $dst) (local.get $k))))
        (local.set $lo (i32.wrap_i64 (local.get $eight)))
        (local.set $hi (i32.wrap_i64 (i64.shr_u (local.get $eight) (i64.const 32))))
        (local.set $at (i32.add (local.get $counts) (i32.shl (i32.and (local.get $lo) (i32.const 255)) (i32.const 2))))
        (i32.store offset=0 (local.get $at) (i32.add (i32.load offset=0 (local.get $at)) (i32.const 1)))
        (local.set $at (i32.add (local.get $counts) (i32.shl (i32.and (i32.shr_u (local.get $lo) (i32.const 8)) (i32.const 255)) (i32.const 2))))
        (i32.store offset=2048 (local.get $at) (i32.add (i32.load offset=2048 (local.get $at)) (i32.const 1)))
        (local.set $at (i32.add (local.get $counts) (i32.shl (i32.and (i32.shr_u (local.get $lo) (i32.const 16)) (i32.const 255)) (i32.const 2))))
        (i32.store offset=4096 (local.get $at) (i32.add (i32.load offset=4096 (local.get $at)) (i32.const 1)))
        (local.set $at (i32.add (local.get $counts) (i32.shl (i32.shr_u (local.get $lo) (i32.const 24)) (i32.const 2))))
        (i32.store offset=6144 (local.get $at) (i32.add (i32.load offset=6144 (local.get $at)) (i32.const 1)))
        (local.set $at (i32.add (local.get $counts) (i32.shl (i32.and (local.get $hi) (i32.const 255)) (i32.const 2))))
        (i32.store offset=8192 (local.get $at) (i32.add (i32.load offset=8192 (local.get $at)) (i32.const 1)))
        (local.set $at (i32.add (local.get $counts) (i32.shl (i32.and (i32.shr_u (local.get $hi) (i32.const 8)) (i32.const 255)) (i32.const 2))))
        (i32.store offset=10240 (local.get $at) (i32.add (i32.load offset=10240 (local.get $at)) (i32.const 1)))
        (local.set $at (i32.add (local.get $counts) (i32.shl (i32.and (i32.shr_u (local.get $hi) (i32.const 16)) (i32.const 255)) (i32.const 2))))
        (i32.store offset=12288 (local.get $at) (i32.add (i32.load offset=12288 (local.get $at)) (i32.const 1)))
        (local.set $at (i32.add (local.get $counts) (i32.shl (i32.shr_u (local.get $hi) (i32.const 24)) (i32.const 2))))
        (i32.store offset=14336 (local.get $at) (i32.add (i32.load offset=14336 (local.get $at)) (i32.const 1)))
        (local.set $k (i32.add (local.get $k) (i32.const 8)))
        (br_if $eights (i32.le_u (i32.add (local.get $k) (i32.const 8)) (local.get $n)))))
    (block $done
      (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
      (loop $pixels
        (local.set $at (i32.add (local.get $counts)
          (i32.add (i32.shl (i32.and (local.get $k) (i32.const 7)) (i32.const 11)) (i32.shl (i32.load8_u (i32.add (local.get $dst) (local.get $k))) (i32.const 2)))))
        (i32.store (local.get $at) (i32.add (i32.load (local.get $at)) (i32.const 1)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $pixels (i32.lt_u (local.get $k) (local.get $n))))))

  ;; One band of n pixels: samples of $type (0 u8, 1 i8, 2 u16, 3 i16, 4 u32, 5 i32, 6 f32, 7 f64) at
  ;; $src + k·$stride to reflectance at $dst + 8k (the table's at $norm by sample value when $norm ≠ 0:
  ;; 8- and 16-bit unsigned samples; else sample ÷ $scale: the same quotients), adding the sample to the
  ;; sum at $sum + 8k and, when $check, marking $bad + k where it equals $nodata.
  (func $band (param $src i32) (param $type i32) (param $stride i32) (param $n i32) (param $dst i32) (param $sum i32)
    (param $bad i32) (param $check i32) (param $nodata f64) (param $scale f64) (param $norm i32)
    (local $k i32) (local $x f64) (local $i i32)
    ;; 8- and 16-bit unsigned samples through the table, without the check: no sum needed (integers are
    ;; never NaN), one load, one table load, one store.
    (if (i32.and (i32.ne (local.get $norm) (i32.const 0)) (i32.eqz (local.get $check)))
      (then
        (if (i32.eqz (local.get $type))
          (then
            (loop $bytes
              (f64.store (i32.add (local.get $dst) (i32.shl (local.get $k) (i32.const 3)))
                (f64.load (i32.add (local.get $norm) (i32.shl (i32.load8_u (local.get $src)) (i32.const 3)))))
              (local.set $src (i32.add (local.get $src) (local.get $stride)))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br_if $bytes (i32.lt_u (local.get $k) (local.get $n))))
            (return)))
        (if (i32.eq (local.get $type) (i32.const 2))
          (then
            (loop $shorts
              (f64.store (i32.add (local.get $dst) (i32.shl (local.get $k) (i32.const 3)))
                (f64.load (i32.add (local.get $norm) (i32.shl (i32.load16_u (local.get $src)) (i32.const 3)))))
              (local.set $src (i32.add (local.get $src) (local.get $stride)))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br_if $shorts (i32.lt_u (local.get $k) (local.get $n))))
            (return)))))
    (loop $samples
      (if (i32.le_u (local.get $type) (i32.const 3))
        (then
          (local.set $i
            (if (result i32) (i32.eqz (local.get $type)) (then (i32.load8_u (local.get $src)))
              (else (if (result i32) (i32.eq (local.get $type) (i32.const 1)) (then (i32.load8_s (local.get $src)))
                (else (if (result i32) (i32.eq (local.get $type) (i32.const 2)) (then (i32.load16_u (local.get $src)))
                  (else (i32.load16_s (local.get $src)))))))))
          (local.set $x (f64.convert_i32_s (local.get $i))))
        (else
          (local.set $x (call $sample (local.get $src) (local.get $type)))))
      (f64.store (i32.add (local.get $dst) (i32.shl (local.get $k) (i32.const 3)))
        (if (result f64) (local.get $norm)
          (then (f64.load (i32.add (local.get $norm) (i32.shl (local.get $i) (i32.const 3)))))
          (else (f64.div (local.get $x) (local.get $scale)))))
      (f64.store (i32.add (local.get $sum) (i32.shl (local.get $k) (i32.const 3)))
        (f64.add (f64.load (i32.add (local.get $sum) (i32.shl (local.get $k) (i32.const 3)))) (local.get $x)))
      (if (local.get $check)
        (then
          (i32.store8 (i32.add (local.get $bad) (local.get $k))
            (i32.or (i32.load8_u (i32.add (local.get $bad) (local.get $k))) (f64.eq (local.get $x) (local.get $nodata))))))
      (local.set $src (i32.add (local.get $src) (local.get $stride)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $samples (i32.lt_u (local.get $k) (local.get $n)))))

;; Red, green, blue and NIR of n pixels of 8-bit ($wide 0) or 16-bit ($wide 1) unsigned samples at $src
  ;; + k·$stride (roles' byte offsets $oR … $oN) to their reflectance planes through the table at $norm:
  ;; $band's work for four bands in one pass (four passes over the interleaved block cost twice this).
  (func $four (param $src i32) (param $wide i32) (param $stride i32) (param $n i32)
    (param $oR i32) (param $oG i32) (param $oB i32) (param $oN i32)
    (param $pr i32) (param $pg i32) (param $pb i32) (param $pn i32) (param $norm i32)
    (local $k i32) (local $o i32)
    (if (local.get $wide)
      (then
        (loop $shorts
          (local.set $o (i32.shl (local.get $k) (i32.const 3)))
          (f64.store (i32.add (local.get $pr) (local.get $o)) (f64.load (i32.add (local.get $norm) (i32.shl (i32.load16_u (i32.add (local.get $src) (local.get $oR))) (i32.const 3)))))
          (f64.store (i32.add (local.get $pg) (local.get $o)) (f64.load (i32.add (local.get $norm) (i32.shl (i32.load16_u (i32.add (local.get $src) (local.get $oG))) (i32.const 3)))))
          (f64.store (i32.add (local.get $pb) (local.get $o)) (f64.load (i32.add (local.get $norm) (i32.shl (i32.load16_u (i32.add (local.get $src) (local.get $oB))) (i32.const 3)))))
          (f64.store (i32.add (local.get $pn) (local.get $o)) (f64.load (i32.add (local.get $norm) (i32.shl (i32.load16_u (i32.add (local.get $src) (local.get $oN))) (i32.const 3)))))
          (local.set $src (i32.add (local.get $src) (local.get $stride)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $shorts (i32.lt_u (local.get $k) (local.get $n)))))
      (else
        (loop $bytes
          (local.set $o (i32.shl (local.get $k) (i32.const 3)))
          (f64.store (i32.add (local.get $pr) (local.get $o)) (f64.load (i32.add (local.get $norm) (i32.shl (i32.load8_u (i32.add (local.get $src) (local.get $oR))) (i32.const 3)))))
          (f64.store (i32.add (local.get $pg) (local.get $o)) (f64.load (i32.add (local.get $norm) (i32.shl (i32.load8_u (i32.add (local.get $src) (local.get $oG))) (i32.const 3)))))
          (f64.store (i32.add (local.get $pb) (local.get $o)) (f64.load (i32.add (local.get $norm) (i32.shl (i32.load8_u (i32.add (local.get $src) (local.get $oB))) (i32.const 3)))))
          (f64.store (i32.add (local.get $pn) (local.get $o)) (f64.load (i32.add (local.get $norm) (i32.shl (i32.load8_u (i32.add (local.get $src) (local.get $oN))) (i32.const 3)))))
          (local.set $src (i32.add (local.get $src) (local.get $stride)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $bytes (i32.lt_u (local.get $k) (local.get $n)))))))

  ;; One sample of any $type at $p as a double (the slow path: 32- and 64-bit samples, alpha).
  (func $sample (param $p i32) (param $type i32) (result f64)
    (if (result f64) (i32.eqz (local.get $type)) (then (f64.convert_i32_u (i32.load8_u (local.get $p))))
      (else (if (result f64) (i32.eq (local.get $type) (i32.const 1)) (then (f64.convert_i32_s (i32.load8_s (local.get $p))))
        (else (if (result f64) (i32.eq (local.get $type) (i32.const 2)) (then (f64.convert_i32_u (i32.load16_u (local.get $p))))
          (else (if (result f64) (i32.eq (local.get $type) (i32.const 3)) (then (f64.convert_i32_s (i32.load16_s (local.get $p))))
            (else (if (result f64) (i32.eq (local.get $type) (i32.const 4)) (then (f64.convert_i32_u (i32.load (local.get $p))))
              (else (if (result f64) (i32.eq (local.get $type) (i32.const 5)) (then (f64.convert_i32_s (i32.load (local.get $p))))
                (else (if (result f64) (i32.eq (local.get $type) (i32.const 6)) (then (f64.promote_f32 (f32.load (local.get $p))))
                  (else (f64.load (local.get $p)))))))))))))))))

  ;; n pixels of samples of $type ($bands per pixel; roles at $iR … $iA, −1 when absent) at $src to index
  ;; codes at $dst, as classify.ts's kernel: 253 no data (mask byte 0 at $pmask + k when $pmask ≠ 0, alpha
  ;; 0, a band equal to $nodata — NaN for none — or a NaN sum of the samples), 251 water (with NIR:
  ;; NDWI > 0; else blue above $ratio × red and above green, mean below 0.35), 252 shadow (mean below
  ;; $shadow), else the bin of the index ($method: 0 ExG, 1 NDVI, 2 SAVI, 3 GLI, 4 VARI, 5 the bare-soil
  ;; index negated) on [$lo, $hi) in 250 bins; reflectance as $band; the caller counts. Three passes
  ;; over the run ($scratch: 6 planes of 512 doubles, then 512 bytes): each band's reflectance into a
  ;; plane; the rules two pixels at a time in f64x2 lanes (the same IEEE operations as the JavaScript,
  ;; without branches: one loop with everything was 12 ns a pixel); no data marked. n ≤ 512.
  (func (export "index_span")
    (param $src i32) (param $type i32) (param $bands i32) (param $n i32) (param $dst i32) (param $pmask i32)
    (param $iR i32) (param $iG i32) (param $iB i32) (param $iN i32) (param $iS i32) (param $iA i32)
    (param $nodata f64) (param $scale f64) (param $norm i32) (param $shadow f64) (param $ratio f64)
    (param $method i32) (param $lo f64) (param $hi f64) (param $binScale f64) (param $scratch i32)
    (local $size i32) (local $stride i32) (local $k i32)
    (local $pr i32) (local $pg i32) (local $pb i32) (local $pn i32) (local $ps i32) (local $psum i32) (local $bad i32)
    (local $check i32) (local $hasBlue i32) (local $hasNir i32) (local $marks i32) (local $x f64)
    (local $r v128) (local $g v128) (local $b v128) (local $nn v128) (local $sw v128) (local $mean v128) (local $v v128) (local $d v128)
    (local $water v128) (local $dark v128) (local $bins v128) (local $codes v128)
    (if (i32.le_s (local.get $n) (i32.const 0)) (then (return)))
    ;; Bytes per sample: 1, 1, 2, 2, 4, 4, 4, 8.
    (local.set $size
      (select (i32.const 1) (select (i32.const 2) (select (i32.const 4) (i32.const 8) (i32.lt_u (local.get $type) (i32.const 7))) (i32.lt_u (local.get $type) (i32.const 4))) (i32.lt_u (local.get $type) (i32.const 2))))
    (local.set $stride (i32.mul (local.get $size) (local.get $bands)))
    (local.set $pr (local.get $scratch))
    (local.set $pg (i32.add (local.get $scratch) (i32.const 4096)))
    (local.set $pb (i32.add (local.get $scratch) (i32.const 8192)))
    (local.set $pn (i32.add (local.get $scratch) (i32.const 12288)))
    (local.set $ps (i32.add (local.get $scratch) (i32.const 16384)))
    (local.set $psum (i32.add (local.get $scratch) (i32.const 20480)))
    (local.set $bad (i32.add (local.get $scratch) (i32.const 24576)))
    (local.set $hasBlue (i32.ge_s (local.get $iB) (i32.const 0)))
    (local.set $hasNir (i32.ge_s (local.get $iN) (i32.const 0)))
    (local.set $check (f64.eq (local.get $nodata) (local.get $nodata)))
    ;; Marks are needed with a no-data value, alpha, a mask or floating-point samples (NaN); integers alone
    ;; are never no data. Absent bands are zero planes (as the JavaScript's 0 samples); sums and marks
    ;; start at zero where they are read.
    (local.set $marks (i32.or (i32.or (local.get $check) (i32.ge_s (local.get $iA) (i32.const 0)))
      (i32.or (i32.ne (local.get $pmask) (i32.const 0)) (i32.ge_u (local.get $type) (i32.const 6)))))
    (if (i32.eqz (local.get $hasBlue)) (then (memory.fill (local.get $pb) (i32.const 0) (i32.const 4096))))
    (if (i32.eqz (local.get $hasNir)) (then (memory.fill (local.get $pn) (i32.const 0) (i32.const 4096))))
    (if (local.get $marks) (then (memory.fill (local.get $psum) (i32.const 0) (i32.const 4608))))
    (if (i32.and
          (i32.and (i32.and (local.get $hasBlue) (local.get $hasNir)) (i32.and (i32.ne (local.get $norm) (i32.const 0)) (i32.eqz (local.get $check))))
          (i32.or (i32.eqz (local.get $type)) (i32.eq (local.get $type) (i32.const 2))))
      (then
        ;; Blue, green, red, NIR from an 8- or 16-bit scene without a no-data value: in one pass.
        (call $four (local.get $src) (i32.eq (local.get $type) (i32.const 2)) (local.get $stride) (local.get $n)
          (i32.mul (local.get $iR) (local.get $size)) (i32.mul (local.get $iG) (local.get $size)) (i32.mul (local.get $iB) (local.get $size)) (i32.mul (local.get $iN) (local.get $size))
          (local.get $pr) (local.get $pg) (local.get $pb) (local.get $pn) (local.get $norm)))
      (else
        (call $band (i32.add (local.get $src) (i32.mul (local.get $iR) (local.get $size))) (local.get $type) (local.get $stride) (local.get $n) (local.get $pr) (local.get $psum) (local.get $bad) (local.get $check) (local.get $nodata) (local.get $scale) (local.get $norm))
        (call $band (i32.add (local.get $src) (i32.mul (local.get $iG) (local.get $size))) (local.get $type) (local.get $stride) (local.get $n) (local.get $pg) (local.get $psum) (local.get $bad) (local.get $check) (local.get $nodata) (local.get $scale) (local.get $norm))
        (if (local.get $hasBlue)
          (then (call $band (i32.add (local.get $src) (i32.mul (local.get $iB) (local.get $size))) (local.get $type) (local.get $stride) (local.get $n) (local.get $pb) (local.get $psum) (local.get $bad) (local.get $check) (local.get $nodata) (local.get $scale) (local.get $norm))))
        (if (local.get $hasNir)
          (then (call $band (i32.add (local.get $src) (i32.mul (local.get $iN) (local.get $size))) (local.get $type) (local.get $stride) (local.get $n) (local.get $pn) (local.get $psum) (local.get $bad) (local.get $check) (local.get $nodata) (local.get $scale) (local.get $norm))))))
    (if (i32.ge_s (local.get $iS) (i32.const 0))
      (then (call $band (i32.add (local.get $src) (i32.mul (local.get $iS) (local.get $size))) (local.get $type) (local.get $stride) (local.get $n) (local.get $ps) (local.get $psum) (local.get $bad) (i32.const 0) (local.get $nodata) (local.get $scale) (local.get $norm))))
    ;; Alpha 0 is no data.
    (if (i32.ge_s (local.get $iA) (i32.const 0))
      (then
        (loop $alpha
          (if (f64.eq (call $sample (i32.add (i32.add (local.get $src) (i32.mul (local.get $iA) (local.get $size))) (i32.mul (local.get $k) (local.get $stride))) (local.get $type)) (f64.const 0))
            (then (i32.store8 (i32.add (local.get $bad) (local.get $k)) (i32.const 1))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $alpha (i32.lt_u (local.get $k) (local.get $n))))
        (local.set $k (i32.const 0))))
    ;; The rules, two pixels at a time: the codes (i32 lanes 0 and 1) stored as two bytes at $dst + k.
    (loop $pairs
      (local.set $r (v128.load (i32.add (local.get $pr) (i32.shl (local.get $k) (i32.const 3)))))
      (local.set $g (v128.load (i32.add (local.get $pg) (i32.shl (local.get $k) (i32.const 3)))))
      (local.set $b (v128.load (i32.add (local.get $pb) (i32.shl (local.get $k) (i32.const 3)))))
      (local.set $nn (v128.load (i32.add (local.get $pn) (i32.shl (local.get $k) (i32.const 3)))))
      (local.set $mean
        (if (result v128) (local.get $hasNir)
          (then
            (if (result v128) (local.get $hasBlue)
              ;; ÷ 4 as × 0.25: the same double (a power of two scales exactly).
              (then (f64x2.mul (f64x2.add (f64x2.add (f64x2.add (local.get $b) (local.get $g)) (local.get $r)) (local.get $nn)) (f64x2.splat (f64.const 0.25))))
              (else (f64x2.div (f64x2.add (f64x2.add (local.get $g) (local.get $r)) (local.get $nn)) (f64x2.splat (f64.const 3))))))
          (else (f64x2.div (f64x2.add (f64x2.add (local.get $r) (local.get $g)) (local.get $b)) (f64x2.splat (f64.const 3))))))
      (local.set $water
        (if (result v128) (local.get $hasNir)
          (then (v128.and
            (f64x2.gt (f64x2.add (local.get $g) (local.get $nn)) (f64x2.splat (f64.const 0)))
            (f64x2.gt (f64x2.sub (local.get $g) (local.get $nn)) (f64x2.splat (f64.const 0)))))
          (else (v128.and
            (v128.and (f64x2.gt (local.get $b) (f64x2.mul (f64x2.splat (local.get $ratio)) (local.get $r))) (f64x2.gt (local.get $b) (local.get $g)))
            (f64x2.lt (local.get $mean) (f64x2.splat (f64.const 0.35)))))))
      (local.set $dark (f64x2.lt (local.get $mean) (f64x2.splat (local.get $shadow))))
      (block $index
        (if (i32.eqz (local.get $method))
          (then
            ;; ExG: (2g − r − b) / (r + g + b), 0 where that sum is not positive
            (local.set $d (f64x2.add (f64x2.add (local.get $r) (local.get $g)) (local.get $b)))
            (local.set $v (v128.and
              (f64x2.div (f64x2.sub (f64x2.sub (f64x2.mul (f64x2.splat (f64.const 2)) (local.get $g)) (local.get $r)) (local.get $b)) (local.get $d))
              (f64x2.gt (local.get $d) (f64x2.splat (f64.const 0)))))
            (br $index)))
        (if (i32.eq (local.get $method) (i32.const 1))
          (then
            ;; NDVI: (n − r) / (n + r), 0 where that sum is not positive
            (local.set $d (f64x2.add (local.get $nn) (local.get $r)))
            (local.set $v (v128.and (f64x2.div (f64x2.sub (local.get $nn) (local.get $r)) (local.get $d)) (f64x2.gt (local.get $d) (f64x2.splat (f64.const 0)))))
            (br $index)))
        (if (i32.eq (local.get $method) (i32.const 2))
          (then
            ;; SAVI: 1.5 (n − r) / (n + r + 0.5)
            (local.set $v (f64x2.div (f64x2.mul (f64x2.splat (f64.const 1.5)) (f64x2.sub (local.get $nn) (local.get $r))) (f64x2.add (f64x2.add (local.get $nn) (local.get $r)) (f64x2.splat (f64.const 0.5)))))
            (br $index)))
        (if (i32.eq (local.get $method) (i32.const 3))
          (then
            ;; GLI: (2g − r − b) / (2g + r + b)
            (local.set $d (f64x2.add (f64x2.add (f64x2.mul (f64x2.splat (f64.const 2)) (local.get $g)) (local.get $r)) (local.get $b)))
            (local.set $v (v128.and
              (f64x2.div (f64x2.sub (f64x2.sub (f64x2.mul (f64x2.splat (f64.const 2)) (local.get $g)) (local.get $r)) (local.get $b)) (local.get $d))
              (f64x2.gt (local.get $d) (f64x2.splat (f64.const 0)))))
            (br $index)))
        (if (i32.eq (local.get $method) (i32.const 4))
          (then
            ;; VARI: (g − r) / (g + r − b), 0 where that is 0
            (local.set $d (f64x2.sub (f64x2.add (local.get $g) (local.get $r)) (local.get $b)))
            (local.set $v (v128.and (f64x2.div (f64x2.sub (local.get $g) (local.get $r)) (local.get $d)) (f64x2.ne (local.get $d) (f64x2.splat (f64.const 0)))))
            (br $index)))
        ;; The bare-soil index, negated: ((n + b) − (s + r)) / ((s + r) + (n + b))
        (local.set $sw (v128.load (i32.add (local.get $ps) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $d (f64x2.add (f64x2.add (local.get $sw) (local.get $r)) (f64x2.add (local.get $nn) (local.get $b))))
        (local.set $v (v128.and
          (f64x2.div (f64x2.sub (f64x2.add (local.get $nn) (local.get $b)) (f64x2.add (local.get $sw) (local.get $r))) (local.get $d))
          (f64x2.gt (local.get $d) (f64x2.splat (f64.const 0))))))
      ;; The bin: 0 at or below lo, 249 at or above hi, else (v − lo)·binScale truncated (NaN: 0), at most 249.
      (local.set $bins (i32x4.min_s
        (i32x4.trunc_sat_f64x2_s_zero (f64x2.mul (f64x2.sub (local.get $v) (f64x2.splat (local.get $lo))) (f64x2.splat (local.get $binScale))))
        (i32x4.splat (i32.const 249))))
      (local.set $bins (v128.bitselect (i32x4.splat (i32.const 249)) (local.get $bins)
        (i8x16.shuffle 0 1 2 3 8 9 10 11 0 1 2 3 8 9 10 11 (f64x2.ge (local.get $v) (f64x2.splat (local.get $hi))) (local.get $v))))
      (local.set $bins (v128.andnot (local.get $bins)
        (i8x16.shuffle 0 1 2 3 8 9 10 11 0 1 2 3 8 9 10 11 (f64x2.le (local.get $v) (f64x2.splat (local.get $lo))) (local.get $v))))
      ;; Water first, then shadow, then the bin.
      (local.set $codes (v128.bitselect (i32x4.splat (i32.const 252)) (local.get $bins)
        (i8x16.shuffle 0 1 2 3 8 9 10 11 0 1 2 3 8 9 10 11 (local.get $dark) (local.get $dark))))
      (local.set $codes (v128.bitselect (i32x4.splat (i32.const 251)) (local.get $codes)
        (i8x16.shuffle 0 1 2 3 8 9 10 11 0 1 2 3 8 9 10 11 (local.get $water) (local.get $water))))
      (i32.store8 (i32.add (local.get $dst) (local.get $k)) (i32x4.extract_lane 0 (local.get $codes)))
      ;; (The second pixel of an odd run's last pair is past the run: not stored.)
      (if (i32.lt_u (i32.add (local.get $k) (i32.const 1)) (local.get $n))
        (then (i32.store8 offset=1 (i32.add (local.get $dst) (local.get $k)) (i32x4.extract_lane 1 (local.get $codes)))))
      (local.set $k (i32.add (local.get $k) (i32.const 2)))
      (br_if $pairs (i32.lt_u (local.get $k) (local.get $n))))
    ;; No data over all.
    (local.set $k (i32.const 0))
    (if (local.get $marks) (then (loop $mark
      (local.set $x (f64.load (i32.add (local.get $psum) (i32.shl (local.get $k) (i32.const 3)))))
      (if (i32.or
            (i32.or (i32.load8_u (i32.add (local.get $bad) (local.get $k))) (f64.ne (local.get $x) (local.get $x)))
            (i32.and (i32.ne (local.get $pmask) (i32.const 0)) (i32.eqz (i32.load8_u (i32.add (local.get $pmask) (local.get $k))))))
        (then (i32.store8 (i32.add (local.get $dst) (local.get $k)) (i32.const 253))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $mark (i32.lt_u (local.get $k) (local.get $n)))))))

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
