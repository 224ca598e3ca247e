;; Stage 0 of unpacking the core (see js-glue/prelude.ts, unpackCore): decodes the embedded text in place at
;; native speed, so that the module script turns its text into bytes with one plain character-copy loop and
;; nothing else in JS. The text is base93: basE91's scheme (Joachim Henke's) over the 93 characters that a
;; single-quoted string literal holds as they are (' ' to '~' but the quote and the backslash), in their ASCII
;; order: each pair of characters holds 13 bits, or 14 when the 13 are below 457 (93 * 93 = 8649 = 8192 + 457),
;; least significant first: 1.2255 characters a byte, where Z85 took 1.25 and base64 1.33. The encoder is
;; scripts/build.js (base93). Text goes from byte 0 of memory on. Assembled by wasm-opt (scripts/build.js).
(module
  (memory (export "memory") 1)
  ;; Decodes the $n characters at $p in place; returns the number of bytes written (the last one may be
  ;; padding: the caller knows the true length).
  (func (export "decode") (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $o i32) (local $end i32) (local $v i32) (local $b i32) (local $k i32) (local $c i32)
    (local.set $o (local.get $p))
    (local.set $i (local.get $p))
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (local.set $v (i32.const -1))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        ;; the character's value: its code - 32, less one above the quote (39) and one above the backslash (92)
        (local.set $c (i32.load8_u (local.get $i)))
        (local.set $c (i32.sub (i32.sub (i32.sub (local.get $c) (i32.const 32))
          (i32.gt_u (local.get $c) (i32.const 39))) (i32.gt_u (local.get $c) (i32.const 92))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (if (i32.lt_s (local.get $v) (i32.const 0))
          (then (local.set $v (local.get $c)))
          (else
            (local.set $v (i32.add (local.get $v) (i32.mul (local.get $c) (i32.const 93))))
            (local.set $b (i32.or (local.get $b) (i32.shl (local.get $v) (local.get $k))))
            (local.set $k (i32.add (local.get $k)
              (select (i32.const 13) (i32.const 14) (i32.gt_u (i32.and (local.get $v) (i32.const 8191)) (i32.const 456)))))
            (loop $out
              (i32.store8 (local.get $o) (local.get $b))
              (local.set $o (i32.add (local.get $o) (i32.const 1)))
              (local.set $b (i32.shr_u (local.get $b) (i32.const 8)))
              (local.set $k (i32.sub (local.get $k) (i32.const 8)))
              (br_if $out (i32.gt_u (local.get $k) (i32.const 7))))
            (local.set $v (i32.const -1))))
        (br $next)))
    ;; a last single character
    (if (i32.ge_s (local.get $v) (i32.const 0))
      (then
        (i32.store8 (local.get $o) (i32.or (local.get $b) (i32.shl (local.get $v) (local.get $k))))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))))
    (i32.sub (local.get $o) (local.get $p))))
