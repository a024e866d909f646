use jmdb::memory::Memory;
use jmdb::target::*;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let t = Target::open(&OpenOptions { core: a[1].clone().into(), ..Default::default() }).unwrap();
    for w in &t.warnings { eprintln!("warn: {w}"); }
    println!("exe {:?} pid {:?} sig {:?} kind {:?}", t.exe_name, t.pid(), t.siginfo(), t.kind());
    for m in &t.modules { println!("{:x}-{:x} bias {:x} {} {:?} {:?}", m.base, m.end, m.bias, m.name, m.file, m.identity); }
    for th in &t.threads { let rip = th.regs.rip(); println!("tid {} sig {} rip {:x} {:?}", th.tid, th.cursig, rip, t.symbolize(rip).map(|s| s.with_offset())); 
      let mut sp = th.regs.rsp(); for _ in 0..3 { println!("  {:x}", t.read_u64(sp).unwrap_or(0)); sp+=8; } }
    println!("{:x?}", t.lookup_symbol("node::Abort"));
    println!("{:x?}", t.read_u64(0x400000));
}
