;; The GeoTIFF writer's floating-point predictor in WebAssembly (see predict.ts for why and how it is called).
;; Assembled into predict.wasm.ts by scripts/assemble-wasm.mjs (wabt); a test checks that the committed
;; bytes are this text's.
;;
;; TIFF predictor 3, as writer.ts's floatPredictScalar: each row's bytes by significance (most
;; significant plane first, as if big-endian), then each byte minus the one before it along the row
;; (a plane's first byte follows the previous plane's last). Sixteen samples at a time: four vectors
;; of samples shuffled into four planes of sixteen bytes, each minus itself shifted by one byte.
(module
  (memory (export "memory") 1)

  ;; One row of `width` samples at $src into width·4 bytes at $dst.
  (func $row (param $src i32) (param $width i32) (param $dst i32)
    (local $x i32) (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $t0 v128) (local $t1 v128) (local $u0 v128) (local $u1 v128)
    (local $p3 v128) (local $p2 v128) (local $p1 v128) (local $p0 v128)
    (local $q3 v128) (local $q2 v128) (local $q1 v128) (local $q0 v128)
    (local $w i32) (local $b3 i32) (local $b2 i32) (local $b1 i32) (local $b0 i32)
    (local $l3 i32) (local $l2 i32) (local $l1 i32) (local $l0 i32) (local $first i32) (local $last i32)
    (if (i32.le_s (local.get $width) (i32.const 0)) (then (return)))
    (if (i32.eqz (i32.and (local.get $width) (i32.const 15)))
      (then
        (loop $chunks
          (local.set $v0 (v128.load offset=0 (i32.add (local.get $src) (i32.shl (local.get $x) (i32.const 2)))))
          (local.set $v1 (v128.load offset=16 (i32.add (local.get $src) (i32.shl (local.get $x) (i32.const 2)))))
          (local.set $v2 (v128.load offset=32 (i32.add (local.get $src) (i32.shl (local.get $x) (i32.const 2)))))
          (local.set $v3 (v128.load offset=48 (i32.add (local.get $src) (i32.shl (local.get $x) (i32.const 2)))))
          ;; [byte 3 of samples 0–7 | byte 2 of samples 0–7], the same for 8–15; then bytes 1 and 0.
          (local.set $t0 (i8x16.shuffle 3 7 11 15 19 23 27 31 2 6 10 14 18 22 26 30 (local.get $v0) (local.get $v1)))
          (local.set $t1 (i8x16.shuffle 3 7 11 15 19 23 27 31 2 6 10 14 18 22 26 30 (local.get $v2) (local.get $v3)))
          (local.set $u0 (i8x16.shuffle 1 5 9 13 17 21 25 29 0 4 8 12 16 20 24 28 (local.get $v0) (local.get $v1)))
          (local.set $u1 (i8x16.shuffle 1 5 9 13 17 21 25 29 0 4 8 12 16 20 24 28 (local.get $v2) (local.get $v3)))
          (local.set $p3 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1)))
          (local.set $p2 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))
          (local.set $p1 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u0) (local.get $u1)))
          (local.set $p0 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u0) (local.get $u1)))
          ;; Each plane minus itself shifted one byte (the byte before the first is the last chunk's last).
          (v128.store (i32.add (local.get $dst) (local.get $x))
            (i8x16.sub (local.get $p3) (i8x16.shuffle 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 (local.get $q3) (local.get $p3))))
          (v128.store (i32.add (i32.add (local.get $dst) (local.get $width)) (local.get $x))
            (i8x16.sub (local.get $p2) (i8x16.shuffle 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 (local.get $q2) (local.get $p2))))
          (v128.store (i32.add (i32.add (local.get $dst) (i32.shl (local.get $width) (i32.const 1))) (local.get $x))
            (i8x16.sub (local.get $p1) (i8x16.shuffle 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 (local.get $q1) (local.get $p1))))
          (v128.store (i32.add (i32.add (local.get $dst) (i32.mul (local.get $width) (i32.const 3))) (local.get $x))
            (i8x16.sub (local.get $p0) (i8x16.shuffle 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 (local.get $q0) (local.get $p0))))
          (local.set $q3 (local.get $p3))
          (local.set $q2 (local.get $p2))
          (local.set $q1 (local.get $p1))
          (local.set $q0 (local.get $p0))
          (local.set $x (i32.add (local.get $x) (i32.const 16)))
          (br_if $chunks (i32.lt_s (local.get $x) (local.get $width)))))
      (else
        (loop $samples
          (local.set $w (i32.load (i32.add (local.get $src) (i32.shl (local.get $x) (i32.const 2)))))
          (local.set $b3 (i32.shr_u (local.get $w) (i32.const 24)))
          (local.set $b2 (i32.and (i32.shr_u (local.get $w) (i32.const 16)) (i32.const 255)))
          (local.set $b1 (i32.and (i32.shr_u (local.get $w) (i32.const 8)) (i32.const 255)))
          (local.set $b0 (i32.and (local.get $w) (i32.const 255)))
          (i32.store8 (i32.add (local.get $dst) (local.get $x)) (i32.sub (local.get $b3) (local.get $l3)))
          (i32.store8 (i32.add (i32.add (local.get $dst) (local.get $width)) (local.get $x)) (i32.sub (local.get $b2) (local.get $l2)))
          (i32.store8 (i32.add (i32.add (local.get $dst) (i32.shl (local.get $width) (i32.const 1))) (local.get $x)) (i32.sub (local.get $b1) (local.get $l1)))
          (i32.store8 (i32.add (i32.add (local.get $dst) (i32.mul (local.get $width) (i32.const 3))) (local.get $x)) (i32.sub (local.get $b0) (local.get $l0)))
          (local.set $l3 (local.get $b3))
          (local.set $l2 (local.get $b2))
          (local.set $l1 (local.get $b1))
          (local.set $l0 (local.get $b0))
          (local.set $x (i32.add (local.get $x) (i32.const 1)))
          (br_if $samples (i32.lt_s (local.get $x) (local.get $width))))))
    ;; A plane's first byte follows the previous plane's last one (the row's last sample's bytes).
    (local.set $first (i32.load (local.get $src)))
    (local.set $last (i32.load (i32.add (local.get $src) (i32.shl (i32.sub (local.get $width) (i32.const 1)) (i32.const 2)))))
    (i32.store8 (i32.add (local.get $dst) (local.get $width))
      (i32.sub (i32.and (i32.shr_u (local.get $first) (i32.const 16)) (i32.const 255)) (i32.shr_u (local.get $last) (i32.const 24))))
    (i32.store8 (i32.add (local.get $dst) (i32.shl (local.get $width) (i32.const 1)))
      (i32.sub (i32.and (i32.shr_u (local.get $first) (i32.const 8)) (i32.const 255)) (i32.and (i32.shr_u (local.get $last) (i32.const 16)) (i32.const 255))))
    (i32.store8 (i32.add (local.get $dst) (i32.mul (local.get $width) (i32.const 3)))
      (i32.sub (i32.and (local.get $first) (i32.const 255)) (i32.and (i32.shr_u (local.get $last) (i32.const 8)) (i32.const 255)))))

  ;; Predictor 3 over `height` rows of `width` float32 samples at $src, into width·4·height bytes at $dst.
  (func (export "float_predict") (param $src i32) (param $width i32) (param $height i32) (param $dst i32)
    (local $r i32)
    (if (i32.or (i32.le_s (local.get $width) (i32.const 0)) (i32.le_s (local.get $height) (i32.const 0))) (then (return)))
    (loop $rows
      (call $row
        (i32.add (local.get $src) (i32.mul (local.get $r) (i32.shl (local.get $width) (i32.const 2))))
        (local.get $width)
        (i32.add (local.get $dst) (i32.mul (local.get $r) (i32.shl (local.get $width) (i32.const 2)))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $rows (i32.lt_s (local.get $r) (local.get $height)))))

  ;; The tiles of a band: `tile` rows of `bandWidth` float32 samples at $band, cut into tile × tile
  ;; tiles (the last one's columns past the band are `nodata`), each predicted, one after another at
  ;; $dst (tile²·4 bytes each). $row holds a padded row (tile samples) for that last tile.
  (func (export "predict_tiles") (param $band i32) (param $bandWidth i32) (param $tile i32) (param $nodata f32) (param $pad i32) (param $dst i32)
    (local $x0 i32) (local $r i32) (local $n i32) (local $k i32) (local $src i32)
    (if (i32.or (i32.le_s (local.get $bandWidth) (i32.const 0)) (i32.le_s (local.get $tile) (i32.const 0))) (then (return)))
    (loop $tiles
      (local.set $n (i32.sub (local.get $bandWidth) (local.get $x0)))
      (if (i32.gt_s (local.get $n) (local.get $tile)) (then (local.set $n (local.get $tile))))
      (local.set $r (i32.const 0))
      (loop $rows
        (local.set $src (i32.add (local.get $band) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $bandWidth)) (local.get $x0)) (i32.const 2))))
        (if (i32.lt_s (local.get $n) (local.get $tile))
          (then
            ;; The row padded with no data.
            (memory.copy (local.get $pad) (local.get $src) (i32.shl (local.get $n) (i32.const 2)))
            (local.set $k (local.get $n))
            (loop $fill
              (f32.store (i32.add (local.get $pad) (i32.shl (local.get $k) (i32.const 2))) (local.get $nodata))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br_if $fill (i32.lt_s (local.get $k) (local.get $tile))))
            (local.set $src (local.get $pad))))
        (call $row (local.get $src) (local.get $tile) (local.get $dst))
        (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $tile) (i32.const 2))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br_if $rows (i32.lt_s (local.get $r) (local.get $tile))))
      (local.set $x0 (i32.add (local.get $x0) (local.get $tile)))
      (br_if $tiles (i32.lt_s (local.get $x0) (local.get $bandWidth))))))
