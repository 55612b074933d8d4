#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| yiyi_fuzz::entry(data));
