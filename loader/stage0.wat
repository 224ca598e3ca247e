;; Stage 0 of unpacking the core (see js-glue/prelude.js, unpackCore): decodes Z85 (ZeroMQ's base85: 5
;; characters for 4 bytes, big-endian) in place at native speed, so that the module script turns its embedded
;; text into bytes with one plain character-copy loop and nothing else in JS. Z85 holds 4 bytes in 5 ASCII
;; characters (base64 needs 5.33), none of them a quote or a backslash. Bytes 0..127 of memory hold the value
;; of each Z85 character; text goes from byte 128 on. Assembled by wasm-opt (scripts/build.js).
(module
  (memory (export "memory") 1)
  (data (i32.const 0) "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\44\00\54\53\52\48\00\4b\4c\46\41\00\3f\3e\45\00\01\02\03\04\05\06\07\08\09\40\00\49\42\4a\47\51\24\25\26\27\28\29\2a\2b\2c\2d\2e\2f\30\31\32\33\34\35\36\37\38\39\3a\3b\3c\3d\4d\00\4e\43\00\00\0a\0b\0c\0d\0e\0f\10\11\12\13\14\15\16\17\18\19\1a\1b\1c\1d\1e\1f\20\21\22\23\4f\00\50\00\00")
  ;; Decodes the $n characters at $p (whole groups of 5) in place; returns the number of bytes (4 per group).
  (func (export "unz85") (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $o i32) (local $end i32) (local $x i32)
    (local.set $o (local.get $p))
    (local.set $i (local.get $p))
    (local.set $end (i32.add (local.get $p) (i32.sub (local.get $n) (i32.rem_u (local.get $n) (i32.const 5)))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        ;; ((((d0 * 85 + d1) * 85 + d2) * 85 + d3) * 85 + d4) mod 2^32, which is exact for valid input
        (local.set $x (i32.load8_u (i32.and (i32.load8_u (local.get $i)) (i32.const 127))))
        (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 85))
          (i32.load8_u (i32.and (i32.load8_u offset=1 (local.get $i)) (i32.const 127)))))
        (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 85))
          (i32.load8_u (i32.and (i32.load8_u offset=2 (local.get $i)) (i32.const 127)))))
        (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 85))
          (i32.load8_u (i32.and (i32.load8_u offset=3 (local.get $i)) (i32.const 127)))))
        (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 85))
          (i32.load8_u (i32.and (i32.load8_u offset=4 (local.get $i)) (i32.const 127)))))
        (i32.store8 (local.get $o) (i32.shr_u (local.get $x) (i32.const 24)))
        (i32.store8 offset=1 (local.get $o) (i32.shr_u (local.get $x) (i32.const 16)))
        (i32.store8 offset=2 (local.get $o) (i32.shr_u (local.get $x) (i32.const 8)))
        (i32.store8 offset=3 (local.get $o) (local.get $x))
        (local.set $i (i32.add (local.get $i) (i32.const 5)))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $next)))
    (i32.sub (local.get $o) (local.get $p))))
