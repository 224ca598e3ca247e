;; Stage 0 of unpacking the core (see js-glue/prelude.js, unpackCore): decodes base64 in place at native
;; speed, so that the module script turns its embedded text into bytes with one plain character-copy loop
;; and nothing else in JS. Bytes 0..127 of memory hold the value of each base64 character; text goes
;; from byte 128 on. Assembled by wasm-opt (scripts/build.js).
(module
  (memory (export "memory") 1)
  (data (i32.const 0) "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\3e\00\00\00\3f\34\35\36\37\38\39\3a\3b\3c\3d\00\00\00\00\00\00\00\00\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10\11\12\13\14\15\16\17\18\19\00\00\00\00\00\00\1a\1b\1c\1d\1e\1f\20\21\22\23\24\25\26\27\28\29\2a\2b\2c\2d\2e\2f\30\31\32\33\00\00\00\00\00")
  ;; Decodes the $n characters (standard alphabet, no padding) at $p in place; returns the number of bytes.
  (func (export "unb64") (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $o i32) (local $end i32) (local $x i32) (local $rest i32)
    (local.set $o (local.get $p))
    (local.set $i (local.get $p))
    (local.set $rest (i32.and (local.get $n) (i32.const 3)))
    (local.set $end (i32.add (local.get $p) (i32.sub (local.get $n) (local.get $rest))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $x
          (i32.or
            (i32.or
              (i32.shl (i32.load8_u (i32.and (i32.load8_u (local.get $i)) (i32.const 127))) (i32.const 18))
              (i32.shl (i32.load8_u (i32.and (i32.load8_u offset=1 (local.get $i)) (i32.const 127))) (i32.const 12)))
            (i32.or
              (i32.shl (i32.load8_u (i32.and (i32.load8_u offset=2 (local.get $i)) (i32.const 127))) (i32.const 6))
              (i32.load8_u (i32.and (i32.load8_u offset=3 (local.get $i)) (i32.const 127))))))
        (i32.store8 (local.get $o) (i32.shr_u (local.get $x) (i32.const 16)))
        (i32.store8 offset=1 (local.get $o) (i32.shr_u (local.get $x) (i32.const 8)))
        (i32.store8 offset=2 (local.get $o) (local.get $x))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (local.set $o (i32.add (local.get $o) (i32.const 3)))
        (br $next)))
    ;; 2 or 3 characters left: 1 or 2 more bytes.
    (if (i32.ge_u (local.get $rest) (i32.const 2))
      (then
        (local.set $x
          (i32.or
            (i32.or
              (i32.shl (i32.load8_u (i32.and (i32.load8_u (local.get $i)) (i32.const 127))) (i32.const 18))
              (i32.shl (i32.load8_u (i32.and (i32.load8_u offset=1 (local.get $i)) (i32.const 127))) (i32.const 12)))
            (select
              (i32.shl (i32.load8_u (i32.and (i32.load8_u offset=2 (local.get $i)) (i32.const 127))) (i32.const 6))
              (i32.const 0)
              (i32.eq (local.get $rest) (i32.const 3)))))
        (i32.store8 (local.get $o) (i32.shr_u (local.get $x) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (if (i32.eq (local.get $rest) (i32.const 3))
          (then
            (i32.store8 (local.get $o) (i32.shr_u (local.get $x) (i32.const 8)))
            (local.set $o (i32.add (local.get $o) (i32.const 1)))))))
    (i32.sub (local.get $o) (local.get $p))))
