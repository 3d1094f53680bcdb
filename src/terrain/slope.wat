;; The slope's hot loop in WebAssembly (see slope-kernel.ts for why and how it is called).
;; Assembled into slope.wasm.ts by scripts/assemble-wasm.mjs (wabt); a test checks that the committed
;; bytes are this text's.
;;
;; slope_row is slope.ts's interior loop, operation for operation in f64 (the same doubles as the
;; JavaScript twin, then rounded to float32 as a Float32Array store rounds): V8's optimiser re-checks
;; every typed array on every iteration of that loop (six arrays), which WebAssembly's one memory does
;; not need. The arctangent is $atan_pos below (slope.ts's atanPositive): a call to Math.atan cost
;; 16 ns of the 23 per pixel.
(module
  (memory (export "memory") 1)

  ;; atan(t) for t ≥ 0 (NaN gives NaN): one division reduces t to |z| ≤ tan(π/8) around 0, π/4 or π/2
  ;; (t ≤ tan(π/8): z = t; up to tan(3π/8): π/4 + atan((t − 1)/(t + 1)); beyond: π/2 + atan(−1/t)),
  ;; without branches; then fdlibm's polynomial for |z| < 7/16 (its coefficients as shortest doubles, Sun Microsystems
  ;; 1993: "Permission to use, copy, modify, and distribute this software is freely granted, provided
  ;; that this notice is preserved"). Within a few units in the last place of a double: the float32
  ;; slopes are Math.atan's but where a double's last bits decide the rounding.
  (func $atan_pos (param $t f64) (result f64)
    (local $mid i32) (local $high i32) (local $z f64) (local $z2 f64) (local $w f64) (local $s1 f64) (local $s2 f64)
    (local.set $mid (f64.gt (local.get $t) (f64.const 0.41421356237309503)))
    (local.set $high (f64.gt (local.get $t) (f64.const 2.414213562373095)))
    (local.set $z (f64.div
      (select (f64.const -1) (select (f64.sub (local.get $t) (f64.const 1)) (local.get $t) (local.get $mid)) (local.get $high))
      (select (local.get $t) (select (f64.add (local.get $t) (f64.const 1)) (f64.const 1) (local.get $mid)) (local.get $high))))
    (local.set $z2 (f64.mul (local.get $z) (local.get $z)))
    (local.set $w (f64.mul (local.get $z2) (local.get $z2)))
    ;; s1 = z²(aT0 + w(aT2 + w(aT4 + w(aT6 + w(aT8 + w·aT10))))), s2 = w(aT1 + w(aT3 + w(aT5 + w(aT7 + w·aT9))))
    (local.set $s1 (f64.mul (local.get $z2)
      (f64.add (f64.const 0.3333333333333293) (f64.mul (local.get $w)
      (f64.add (f64.const 0.14285714272503466) (f64.mul (local.get $w)
      (f64.add (f64.const 0.09090887133436507) (f64.mul (local.get $w)
      (f64.add (f64.const 0.06661073137387531) (f64.mul (local.get $w)
      (f64.add (f64.const 0.049768779946159324) (f64.mul (local.get $w)
      (f64.const 0.016285820115365782)))))))))))))
    (local.set $s2 (f64.mul (local.get $w)
      (f64.add (f64.const -0.19999999999876483) (f64.mul (local.get $w)
      (f64.add (f64.const -0.11111110405462356) (f64.mul (local.get $w)
      (f64.add (f64.const -0.0769187620504483) (f64.mul (local.get $w)
      (f64.add (f64.const -0.058335701337905735) (f64.mul (local.get $w)
      (f64.const -0.036531572744216916)))))))))))
    (f64.add
      (select (f64.const 1.5707963267948966) (select (f64.const 0.7853981633974483) (f64.const 0) (local.get $mid)) (local.get $high))
      (f64.sub (local.get $z) (f64.mul (local.get $z) (f64.add (local.get $s1) (local.get $s2))))))

;; Columns [c0, c1) of one slope row from three DEM rows (float32, NaN = no data; byte addresses),
  ;; written at out + 4c: a no-data centre gives `missing`; a no-data neighbour takes the centre's
  ;; value; Horn (horn = 1) or Zevenbergen-Thorne. Callers keep 1 ≤ c0 and c1 ≤ width − 1; $tmp holds
  ;; 8·c1 bytes. Two passes: the gradients' squared norm of every column (f64 at tmp + 8c), then its
  ;; slope in degrees two columns at a time ($degrees): one pass with both was bound by the latency of
  ;; each pixel's chain (square root, division, polynomial: 21 ns per pixel); apart, the columns overlap.
  (func (export "slope_row")
    (param $above i32) (param $row i32) (param $below i32) (param $out i32) (param $tmp i32)
    (param $c0 i32) (param $c1 i32) (param $ewresM f64) (param $nsresM f64) (param $horn i32) (param $missing f32)
    (local $p i32) (local $end i32) (local $q i32)
    (local $e f64) (local $a f64) (local $b f64) (local $c f64) (local $d f64)
    (local $f f64) (local $g f64) (local $h f64) (local $i f64)
    (local $dx f64) (local $dy f64)
    (local $ew8 f64) (local $ns8 f64) (local $ew2 f64) (local $ns2 f64)
    (if (i32.ge_s (local.get $c0) (local.get $c1)) (then (return)))
    ;; Reciprocals, multiplied (as GDAL does): 1/8ew, 1/8ns (Horn), 1/2ew, 1/2ns (Zevenbergen-Thorne).
    (local.set $ew8 (f64.div (f64.const 1) (f64.mul (f64.const 8) (local.get $ewresM))))
    (local.set $ns8 (f64.div (f64.const 1) (f64.mul (f64.const 8) (local.get $nsresM))))
    (local.set $ew2 (f64.div (f64.const 1) (f64.mul (f64.const 2) (local.get $ewresM))))
    (local.set $ns2 (f64.div (f64.const 1) (f64.mul (f64.const 2) (local.get $nsresM))))
    ;; $p is the byte offset of column c − 1 in a row, $q of column c in $tmp.
    (local.set $p (i32.shl (i32.sub (local.get $c0) (i32.const 1)) (i32.const 2)))
    (local.set $end (i32.shl (i32.sub (local.get $c1) (i32.const 1)) (i32.const 2)))
    (local.set $q (i32.add (local.get $tmp) (i32.shl (local.get $c0) (i32.const 3))))
    (loop $columns
      (local.set $e (f64.promote_f32 (f32.load offset=4 (i32.add (local.get $row) (local.get $p)))))
      (local.set $a (f64.promote_f32 (f32.load offset=0 (i32.add (local.get $above) (local.get $p)))))
      (local.set $b (f64.promote_f32 (f32.load offset=4 (i32.add (local.get $above) (local.get $p)))))
      (local.set $c (f64.promote_f32 (f32.load offset=8 (i32.add (local.get $above) (local.get $p)))))
      (local.set $d (f64.promote_f32 (f32.load offset=0 (i32.add (local.get $row) (local.get $p)))))
      (local.set $f (f64.promote_f32 (f32.load offset=8 (i32.add (local.get $row) (local.get $p)))))
      (local.set $g (f64.promote_f32 (f32.load offset=0 (i32.add (local.get $below) (local.get $p)))))
      (local.set $h (f64.promote_f32 (f32.load offset=4 (i32.add (local.get $below) (local.get $p)))))
      (local.set $i (f64.promote_f32 (f32.load offset=8 (i32.add (local.get $below) (local.get $p)))))
      (local.set $a (select (local.get $e) (local.get $a) (f64.ne (local.get $a) (local.get $a))))
      (local.set $b (select (local.get $e) (local.get $b) (f64.ne (local.get $b) (local.get $b))))
      (local.set $c (select (local.get $e) (local.get $c) (f64.ne (local.get $c) (local.get $c))))
      (local.set $d (select (local.get $e) (local.get $d) (f64.ne (local.get $d) (local.get $d))))
      (local.set $f (select (local.get $e) (local.get $f) (f64.ne (local.get $f) (local.get $f))))
      (local.set $g (select (local.get $e) (local.get $g) (f64.ne (local.get $g) (local.get $g))))
      (local.set $h (select (local.get $e) (local.get $h) (f64.ne (local.get $h) (local.get $h))))
      (local.set $i (select (local.get $e) (local.get $i) (f64.ne (local.get $i) (local.get $i))))
      (if (local.get $horn)
        (then
          ;; dx = (c + 2f + i − (a + 2d + g))·(1/8ew); dy = (g + 2h + i − (a + 2b + c))·(1/8ns)
          (local.set $dx (f64.mul
            (f64.sub
              (f64.add (f64.add (local.get $c) (f64.mul (f64.const 2) (local.get $f))) (local.get $i))
              (f64.add (f64.add (local.get $a) (f64.mul (f64.const 2) (local.get $d))) (local.get $g)))
            (local.get $ew8)))
          (local.set $dy (f64.mul
            (f64.sub
              (f64.add (f64.add (local.get $g) (f64.mul (f64.const 2) (local.get $h))) (local.get $i))
              (f64.add (f64.add (local.get $a) (f64.mul (f64.const 2) (local.get $b))) (local.get $c)))
            (local.get $ns8))))
        (else
          ;; dx = (f − d)·(1/2ew); dy = (h − b)·(1/2ns)
          (local.set $dx (f64.mul (f64.sub (local.get $f) (local.get $d)) (local.get $ew2)))
          (local.set $dy (f64.mul (f64.sub (local.get $h) (local.get $b)) (local.get $ns2)))))
      ;; A no-data centre: NaN for the norm, no slope.
      (f64.store (local.get $q)
        (select (f64.const nan)
          (f64.add (f64.mul (local.get $dx) (local.get $dx)) (f64.mul (local.get $dy) (local.get $dy)))
          (f64.ne (local.get $e) (local.get $e))))
      (local.set $q (i32.add (local.get $q) (i32.const 8)))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $columns (i32.lt_s (local.get $p) (local.get $end))))
    (call $degrees
      (i32.add (local.get $tmp) (i32.shl (local.get $c0) (i32.const 3)))
      (i32.add (local.get $out) (i32.shl (local.get $c0) (i32.const 2)))
      (i32.sub (local.get $c1) (local.get $c0))
      (local.get $missing)))

  ;; n float32 slopes in degrees at $out from n squared gradient norms (f64) at $q: atan(√q)·180/π
  ;; (180/π as JavaScript's double), `missing` where that is NaN. Two at a time in f64x2 lanes (the
  ;; same IEEE operations as the scalar $atan_pos), the odd last one alone.
  (func $degrees (param $q i32) (param $out i32) (param $n i32) (param $missing f32)
    (local $end i32) (local $x v128) (local $mid v128) (local $high v128) (local $z v128) (local $z2 v128) (local $w v128)
    (local $s1 v128) (local $s2 v128) (local $r v128) (local $v f32)
    (local.set $end (i32.add (local.get $q) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3))))
    (block $pairsDone
      (br_if $pairsDone (i32.ge_u (local.get $q) (local.get $end)))
      (loop $pairs
        (local.set $x (f64x2.sqrt (v128.load (local.get $q))))
        (local.set $mid (f64x2.gt (local.get $x) (f64x2.splat (f64.const 0.41421356237309503))))
        (local.set $high (f64x2.gt (local.get $x) (f64x2.splat (f64.const 2.414213562373095))))
        (local.set $z (f64x2.div
          (v128.bitselect (f64x2.splat (f64.const -1))
            (v128.bitselect (f64x2.sub (local.get $x) (f64x2.splat (f64.const 1))) (local.get $x) (local.get $mid)) (local.get $high))
          (v128.bitselect (local.get $x)
            (v128.bitselect (f64x2.add (local.get $x) (f64x2.splat (f64.const 1))) (f64x2.splat (f64.const 1)) (local.get $mid)) (local.get $high))))
        (local.set $z2 (f64x2.mul (local.get $z) (local.get $z)))
        (local.set $w (f64x2.mul (local.get $z2) (local.get $z2)))
        (local.set $s1 (f64x2.mul (local.get $z2)
          (f64x2.add (f64x2.splat (f64.const 0.3333333333333293)) (f64x2.mul (local.get $w)
          (f64x2.add (f64x2.splat (f64.const 0.14285714272503466)) (f64x2.mul (local.get $w)
          (f64x2.add (f64x2.splat (f64.const 0.09090887133436507)) (f64x2.mul (local.get $w)
          (f64x2.add (f64x2.splat (f64.const 0.06661073137387531)) (f64x2.mul (local.get $w)
          (f64x2.add (f64x2.splat (f64.const 0.049768779946159324)) (f64x2.mul (local.get $w)
          (f64x2.splat (f64.const 0.016285820115365782))))))))))))))
        (local.set $s2 (f64x2.mul (local.get $w)
          (f64x2.add (f64x2.splat (f64.const -0.19999999999876483)) (f64x2.mul (local.get $w)
          (f64x2.add (f64x2.splat (f64.const -0.11111110405462356)) (f64x2.mul (local.get $w)
          (f64x2.add (f64x2.splat (f64.const -0.0769187620504483)) (f64x2.mul (local.get $w)
          (f64x2.add (f64x2.splat (f64.const -0.058335701337905735)) (f64x2.mul (local.get $w)
          (f64x2.splat (f64.const -0.036531572744216916))))))))))))
        (local.set $r (f32x4.demote_f64x2_zero (f64x2.mul
          (f64x2.add
            (v128.bitselect (f64x2.splat (f64.const 1.5707963267948966))
              (v128.bitselect (f64x2.splat (f64.const 0.7853981633974483)) (f64x2.splat (f64.const 0)) (local.get $mid)) (local.get $high))
            (f64x2.sub (local.get $z) (f64x2.mul (local.get $z) (f64x2.add (local.get $s1) (local.get $s2)))))
          (f64x2.splat (f64.const 57.29577951308232)))))
        (local.set $r (v128.bitselect (f32x4.splat (local.get $missing)) (local.get $r) (f32x4.ne (local.get $r) (local.get $r))))
        (v128.store64_lane 0 (local.get $out) (local.get $r))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br_if $pairs (i32.lt_u (local.get $q) (local.get $end)))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (local.set $v (f32.demote_f64 (f64.mul (call $atan_pos (f64.sqrt (f64.load (local.get $q)))) (f64.const 57.29577951308232))))
        (f32.store (local.get $out) (select (local.get $missing) (local.get $v) (f32.ne (local.get $v) (local.get $v)))))))
)
