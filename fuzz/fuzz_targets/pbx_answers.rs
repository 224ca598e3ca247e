#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| elma365_voip::fuzzing::pbx_answers(data));
