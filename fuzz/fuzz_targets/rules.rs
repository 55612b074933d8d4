#![no_main]
libfuzzer_sys::fuzz_target!(|records: Vec<yiyi_fuzz::Timed>| yiyi_fuzz::rules(&records));
