#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| elma365_voip::fuzzing::oktell_webhook(data));
