;; deflate-runs.ts's encoder (see there for the format and why). Assembled into deflate-runs.wasm.ts by
;; scripts/assemble-wasm.mjs (wabt); a test checks that the committed bytes are this text's.
;;
;; Tables at $tables: 515 pairs of u32 (bits, count): literal bytes 0 to 255, end of block 256, then a
;; match of each length 3 to 258 with its distance (entry 256 + length); then the header's bit count
;; (u32) and its bytes.
(module
  (memory (export "memory") 1)

  ;; n bytes at $src (readable 16 bytes past the end) to a zlib stream at $dst; returns its length.
  (func (export "encode") (param $src i32) (param $n i32) (param $dst i32) (param $tables i32) (result i32)
    (local $out i32) (local $acc i64) (local $count i32) (local $i i32) (local $bits i32) (local $whole i32)
    (local $run i32) (local $max i32) (local $pattern i64) (local $x i64) (local $entry i32) (local $adler i32)
    (i32.store16 (local.get $dst) (i32.const 0x0178))
    (local.set $out (i32.add (local.get $dst) (i32.const 2)))
    ;; The block header: its whole bytes, then its last bits into the accumulator.
    (local.set $bits (i32.load offset=4120 (local.get $tables)))
    (local.set $whole (i32.shr_u (local.get $bits) (i32.const 3)))
    (memory.copy (local.get $out) (i32.add (local.get $tables) (i32.const 4124)) (local.get $whole))
    (local.set $out (i32.add (local.get $out) (local.get $whole)))
    (local.set $count (i32.and (local.get $bits) (i32.const 7)))
    (local.set $acc (i64.and
      (i64.extend_i32_u (i32.load8_u offset=4124 (i32.add (local.get $tables) (local.get $whole))))
      (i64.sub (i64.shl (i64.const 1) (i64.extend_i32_u (local.get $count))) (i64.const 1))))
    (block $coded
      (br_if $coded (i32.eqz (local.get $n)))
      (local.set $entry (i32.load8_u (local.get $src)))
      (local.set $i (i32.const 1))
      (loop $symbols
        ;; Put the entry's bits; whole 32-bit words out.
        (local.set $acc (i64.or (local.get $acc)
          (i64.shl (i64.extend_i32_u (i32.load (i32.add (local.get $tables) (i32.shl (local.get $entry) (i32.const 3)))))
            (i64.extend_i32_u (local.get $count)))))
        (local.set $count (i32.add (local.get $count) (i32.load offset=4 (i32.add (local.get $tables) (i32.shl (local.get $entry) (i32.const 3))))))
        (if (i32.ge_u (local.get $count) (i32.const 32))
          (then
            (i32.store (local.get $out) (i32.wrap_i64 (local.get $acc)))
            (local.set $out (i32.add (local.get $out) (i32.const 4)))
            (local.set $acc (i64.shr_u (local.get $acc) (i64.const 32)))
            (local.set $count (i32.sub (local.get $count) (i32.const 32)))))
        (br_if $coded (i32.ge_u (local.get $i) (local.get $n)))
        ;; The run of the previous byte from i: eight bytes at a time, at most 258 and what is left.
        (local.set $max (i32.sub (local.get $n) (local.get $i)))
        (if (i32.gt_u (local.get $max) (i32.const 258)) (then (local.set $max (i32.const 258))))
        (local.set $pattern (i64.mul (i64.extend_i32_u (i32.load8_u (i32.sub (i32.add (local.get $src) (local.get $i)) (i32.const 1))))
          (i64.const 0x0101010101010101)))
        (local.set $run (i32.const 0))
        (block $found
          (loop $scan
            (local.set $x (i64.xor (i64.load (i32.add (i32.add (local.get $src) (local.get $i)) (local.get $run))) (local.get $pattern)))
            (if (i64.ne (local.get $x) (i64.const 0))
              (then
                (local.set $run (i32.add (local.get $run) (i32.wrap_i64 (i64.shr_u (i64.ctz (local.get $x)) (i64.const 3)))))
                (br $found)))
            (local.set $run (i32.add (local.get $run) (i32.const 8)))
            (br_if $scan (i32.lt_u (local.get $run) (local.get $max)))))
        (if (i32.gt_u (local.get $run) (local.get $max)) (then (local.set $run (local.get $max))))
        ;; A run of three or more is a match; else the byte is a literal.
        (if (i32.ge_u (local.get $run) (i32.const 3))
          (then
            (local.set $entry (i32.add (local.get $run) (i32.const 256)))
            (local.set $i (i32.add (local.get $i) (local.get $run))))
          (else
            (local.set $entry (i32.load8_u (i32.add (local.get $src) (local.get $i))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))))
        (br $symbols)))
    ;; End of block, the last bits, then the checksum (big-endian).
    (local.set $acc (i64.or (local.get $acc)
      (i64.shl (i64.extend_i32_u (i32.load offset=2048 (local.get $tables))) (i64.extend_i32_u (local.get $count)))))
    (local.set $count (i32.add (local.get $count) (i32.load offset=2052 (local.get $tables))))
    (block $flushed
      (loop $bytes
        (br_if $flushed (i32.le_s (local.get $count) (i32.const 0)))
        (i32.store8 (local.get $out) (i32.wrap_i64 (local.get $acc)))
        (local.set $out (i32.add (local.get $out) (i32.const 1)))
        (local.set $acc (i64.shr_u (local.get $acc) (i64.const 8)))
        (local.set $count (i32.sub (local.get $count) (i32.const 8)))
        (br $bytes)))
    (local.set $adler (call $adler32 (local.get $src) (local.get $n)))
    (i32.store8 offset=0 (local.get $out) (i32.shr_u (local.get $adler) (i32.const 24)))
    (i32.store8 offset=1 (local.get $out) (i32.shr_u (local.get $adler) (i32.const 16)))
    (i32.store8 offset=2 (local.get $out) (i32.shr_u (local.get $adler) (i32.const 8)))
    (i32.store8 offset=3 (local.get $out) (local.get $adler))
    (i32.sub (i32.add (local.get $out) (i32.const 4)) (local.get $dst)))

  ;; Adler-32 of n bytes at $p: blocks of at most 346 sixteen-byte chunks (5 536 bytes: no lane and no
  ;; sum overflows before the modulo), per chunk the byte sums, the running sums before it, and the bytes
  ;; weighted 16 down to 1 (each byte adds to s2 once for itself and once for every later byte of its
  ;; chunk); the last bytes one at a time.
  (func $adler32 (param $p i32) (param $n i32) (result i32)
    (local $s1 i64) (local $s2 i64) (local $chunks i32) (local $k i32) (local $x v128)
    (local $vs v128) (local $vp v128) (local $vw v128)
    (local.set $s1 (i64.const 1))
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.lt_u (local.get $n) (i32.const 16)))
        (local.set $chunks (i32.shr_u (local.get $n) (i32.const 4)))
        (if (i32.gt_u (local.get $chunks) (i32.const 346)) (then (local.set $chunks (i32.const 346))))
        (local.set $vs (v128.const i32x4 0 0 0 0))
        (local.set $vp (v128.const i32x4 0 0 0 0))
        (local.set $vw (v128.const i32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (loop $chunk
          (local.set $x (v128.load (local.get $p)))
          (local.set $vp (i32x4.add (local.get $vp) (local.get $vs)))
          (local.set $vs (i32x4.add (local.get $vs) (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $x)))))
          (local.set $vw (i32x4.add (local.get $vw) (i32x4.add
            (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $x)) (v128.const i16x8 16 15 14 13 12 11 10 9))
            (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $x)) (v128.const i16x8 8 7 6 5 4 3 2 1)))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $chunk (i32.lt_u (local.get $k) (local.get $chunks))))
        (local.set $s2 (i64.rem_u
          (i64.add (i64.add (local.get $s2) (i64.mul (i64.extend_i32_u (i32.shl (local.get $chunks) (i32.const 4))) (local.get $s1)))
            (i64.add (i64.shl (call $lanes (local.get $vp)) (i64.const 4)) (call $lanes (local.get $vw))))
          (i64.const 65521)))
        (local.set $s1 (i64.rem_u (i64.add (local.get $s1) (call $lanes (local.get $vs))) (i64.const 65521)))
        (local.set $n (i32.sub (local.get $n) (i32.shl (local.get $chunks) (i32.const 4))))
        (br $blocks)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.eqz (local.get $n)))
        (local.set $s1 (i64.add (local.get $s1) (i64.extend_i32_u (i32.load8_u (local.get $p)))))
        (local.set $s2 (i64.add (local.get $s2) (local.get $s1)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $tail)))
    (i32.or
      (i32.shl (i32.wrap_i64 (i64.rem_u (local.get $s2) (i64.const 65521))) (i32.const 16))
      (i32.wrap_i64 (i64.rem_u (local.get $s1) (i64.const 65521)))))

  ;; The sum of four u32 lanes.
  (func $lanes (param $v v128) (result i64)
    (i64.add
      (i64.add (i64.extend_i32_u (i32x4.extract_lane 0 (local.get $v))) (i64.extend_i32_u (i32x4.extract_lane 1 (local.get $v))))
      (i64.add (i64.extend_i32_u (i32x4.extract_lane 2 (local.get $v))) (i64.extend_i32_u (i32x4.extract_lane 3 (local.get $v)))))))
