;; Class counting with WebAssembly SIMD, for the inflate workers (see counts.ts).
;; Assembled into count-simd.wasm.ts by scripts/assemble-wasm.mjs (wabt); a test
;; checks that the committed bytes are this text's.
;;
;; count4 compares 16 pixels at a time with four class codes and counts the
;; matches in byte lanes (i8x16.eq gives −1 on a match, subtracted), widening
;; into 32-bit totals every 255 vectors before a byte lane could overflow.
(module
  (memory (export "memory") 2)
  ;; Add to out[0..3] (i32) the number of bytes in [p, p + 16·n) equal to c0, c1, c2, c3.
  (func (export "count4") (param $p i32) (param $n i32) (param $c0 i32) (param $c1 i32) (param $c2 i32) (param $c3 i32) (param $out i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $v v128) (local $end i32) (local $chunkEnd i32)
    (local.set $s0 (i8x16.splat (local.get $c0)))
    (local.set $s1 (i8x16.splat (local.get $c1)))
    (local.set $s2 (i8x16.splat (local.get $c2)))
    (local.set $s3 (i8x16.splat (local.get $c3)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 4))))
    (block $done
      (loop $chunks
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        ;; At most 255 vectors per chunk, so no byte counter overflows.
        (local.set $chunkEnd (i32.add (local.get $p) (i32.const 4080)))
        (if (i32.gt_u (local.get $chunkEnd) (local.get $end)) (then (local.set $chunkEnd (local.get $end))))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (loop $vectors
          (local.set $v (v128.load (local.get $p)))
          (local.set $a0 (i8x16.sub (local.get $a0) (i8x16.eq (local.get $v) (local.get $s0))))
          (local.set $a1 (i8x16.sub (local.get $a1) (i8x16.eq (local.get $v) (local.get $s1))))
          (local.set $a2 (i8x16.sub (local.get $a2) (i8x16.eq (local.get $v) (local.get $s2))))
          (local.set $a3 (i8x16.sub (local.get $a3) (i8x16.eq (local.get $v) (local.get $s3))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $vectors (i32.lt_u (local.get $p) (local.get $chunkEnd))))
        (local.set $t0 (i32x4.add (local.get $t0) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $a0)))))
        (local.set $t1 (i32x4.add (local.get $t1) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $a1)))))
        (local.set $t2 (i32x4.add (local.get $t2) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $a2)))))
        (local.set $t3 (i32x4.add (local.get $t3) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $a3)))))
        (br $chunks)))
    (i32.store offset=0 (local.get $out) (i32.add (i32.load offset=0 (local.get $out)) (call $sum (local.get $t0))))
    (i32.store offset=4 (local.get $out) (i32.add (i32.load offset=4 (local.get $out)) (call $sum (local.get $t1))))
    (i32.store offset=8 (local.get $out) (i32.add (i32.load offset=8 (local.get $out)) (call $sum (local.get $t2))))
    (i32.store offset=12 (local.get $out) (i32.add (i32.load offset=12 (local.get $out)) (call $sum (local.get $t3)))))
  (func $sum (param $v v128) (result i32)
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
      (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v))))))
