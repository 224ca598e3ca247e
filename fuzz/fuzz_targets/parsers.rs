#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| elma365_voip_fuzz_logic::parsers(data));
