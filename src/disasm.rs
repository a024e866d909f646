//! x86_64 disassembly over target memory, with symbolized operands.
//!
//! Decoding and formatting are iced-x86's; this module adds what a
//! post-mortem debugger needs around them: reading through [`Memory`] (so
//! text can come from the core or from the mapped file), stopping cleanly
//! where readable memory ends, and naming branch targets and RIP-relative
//! operands through a caller-supplied resolver (the disassembler knows
//! nothing of modules or symbol tables).
//!
//! Resolvers return the full text to show for an address, e.g.
//! `node::Abort+0x1a`; `None` leaves the address in hex.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use iced_x86::{
    Decoder, DecoderError, DecoderOptions, Formatter, GasFormatter, Instruction, IntelFormatter, OpKind, Register,
    SymbolResolver, SymbolResult,
};

use crate::error::MemError;
use crate::memory::Memory;

/// The longest x86 instruction.
pub const MAX_INSN_LEN: usize = 15;

/// How many bytes a range decode reads at a time.
const READ_CHUNK: usize = 4096;

/// One decoded instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insn {
    pub addr: u64,
    pub len: usize,
    pub bytes: Vec<u8>,
    /// AT&T syntax text (or Intel, if asked for), with branch targets
    /// symbolized where the resolver names them. `(bad)` for bytes that do
    /// not decode.
    pub text: String,
    /// The target of a direct jump or call.
    pub target: Option<u64>,
    /// The bytes do not form a valid instruction; `len` is then 1, so that
    /// decoding resynchronises on the next byte as objdump does.
    pub invalid: bool,
}

impl Insn {
    /// Address of the next instruction.
    pub fn end(&self) -> u64 {
        self.addr.wrapping_add(self.len as u64)
    }
}

/// Assembler syntax of [`Insn::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Syntax {
    /// GAS / AT&T (`mov %rsp,%rbp`), as gdb and objdump print by default.
    #[default]
    Att,
    /// Intel (`mov rbp,rsp`).
    Intel,
}

/// The result of decoding a run of instructions: what decoded, and why it
/// stopped early, if it did (the read error names the first address that
/// could not be read).
#[derive(Debug, Clone, Default)]
pub struct Decoded {
    pub insns: Vec<Insn>,
    pub stopped: Option<MemError>,
}

/// Decode the instruction at `addr`. `sym` names addresses for branch
/// targets and memory operands. Fails with the first unreadable address when
/// not even the instruction's bytes can be read.
pub fn decode_one(mem: &dyn Memory, addr: u64, sym: &dyn Fn(u64) -> Option<String>) -> Result<Insn, MemError> {
    Disassembler::new(Syntax::Att).decode_one(mem, addr, sym)
}

/// Decode up to `count` instructions from `addr`, stopping early where
/// memory stops being readable.
pub fn decode_range(mem: &dyn Memory, addr: u64, count: usize, sym: &dyn Fn(u64) -> Option<String>) -> Decoded {
    Disassembler::new(Syntax::Att).decode_range(mem, addr, count, sym)
}

/// Decode the instructions that start in `[start, end)`, at most `max` of
/// them (a whole function, given its symbol's extent).
pub fn decode_span(mem: &dyn Memory, start: u64, end: u64, max: usize, sym: &dyn Fn(u64) -> Option<String>) -> Decoded {
    Disassembler::new(Syntax::Att).decode_span(mem, start, end, max, sym)
}

/// The longest readable run of bytes at `addr`, up to `len`. Fails only when
/// the first byte cannot be read.
pub fn read_prefix(mem: &dyn Memory, addr: u64, len: usize) -> Result<Vec<u8>, MemError> {
    let len = len.min((u64::MAX - addr).saturating_add(1).try_into().unwrap_or(usize::MAX));
    let mut buf = vec![0u8; len];
    let first_err = match mem.read(addr, &mut buf) {
        Ok(()) => return Ok(buf),
        Err(e) => e,
    };
    // The error usually names where readable memory ends; trust it only if
    // a read up to there succeeds.
    let hint = first_err.addr().wrapping_sub(addr);
    if hint > 0 && hint < len as u64 && mem.read(addr, &mut buf[..hint as usize]).is_ok() {
        buf.truncate(hint as usize);
        return Ok(buf);
    }
    // Otherwise binary-search the readable length: the smallest failing one.
    let (mut ok, mut bad) = (0usize, len);
    let mut tmp = vec![0u8; len];
    while bad - ok > 1 {
        let mid = ok + (bad - ok) / 2;
        if mem.read(addr, &mut tmp[..mid]).is_ok() {
            ok = mid;
        } else {
            bad = mid;
        }
    }
    if ok == 0 {
        return Err(mem.read_u8(addr).err().unwrap_or(first_err));
    }
    buf.truncate(ok);
    mem.read(addr, &mut buf)?;
    Ok(buf)
}

/// Where the instructions before an address start, found by decoding
/// forward from a known boundary (x86 cannot be decoded backwards).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lookback {
    /// Starts of the last instructions before the address (at most the
    /// number asked for), in address order.
    pub starts: Vec<u64>,
    /// The address is itself an instruction boundary. When it is not, the
    /// last of `starts` is the instruction that contains it.
    pub aligned: bool,
    /// How many invalid encodings were met on the way: a sign that `from`
    /// was not a boundary, or that the bytes are not code.
    pub invalid: usize,
}

/// Decode lengths only (no formatting) from `from` up to `addr`, keeping
/// the last `n` instruction starts. Fails if the bytes in between cannot all
/// be read.
pub fn lookback(mem: &dyn Memory, from: u64, addr: u64, n: usize) -> Result<Lookback, MemError> {
    let mut lb = Lookback::default();
    let mut ring = std::collections::VecDeque::new();
    let mut insn = Instruction::default();
    let mut pc = from;
    // Read in chunks, so a far-away `from` costs time, not memory.
    while pc < addr {
        let want = (addr - pc).saturating_add(MAX_INSN_LEN as u64).min(READ_CHUNK as u64 * 16) as usize;
        let buf = read_prefix(mem, pc, want)?;
        // The chunk holds everything up to addr's instruction, or all that
        // is readable: no instruction in it is cut short by the chunking.
        let complete = buf.len() < want || pc.saturating_add(buf.len() as u64) >= addr.saturating_add(MAX_INSN_LEN as u64);
        let mut off = 0usize;
        while pc.saturating_add(off as u64) < addr {
            let left = buf.len() - off;
            if left == 0 {
                // Readable memory ends before addr.
                let at = pc.saturating_add(off as u64);
                return Err(mem.read_u8(at).err().unwrap_or(MemError::Unmapped { addr: at }));
            }
            if left < MAX_INSN_LEN && !complete {
                break; // refill from here
            }
            let here = pc.saturating_add(off as u64);
            let mut dec = Decoder::with_ip(64, &buf[off..], here, DecoderOptions::NONE);
            dec.decode_out(&mut insn);
            let len = if !insn.is_invalid() {
                insn.len()
            } else if dec.last_error() == DecoderError::NoMoreBytes {
                // Cut off where readable memory ends: one (partial)
                // instruction covering the rest.
                left
            } else {
                lb.invalid += 1;
                1
            };
            if n > 0 {
                if ring.len() == n {
                    ring.pop_front();
                }
                ring.push_back(here);
            }
            off += len;
        }
        pc = pc.saturating_add(off as u64);
    }
    lb.aligned = pc == addr;
    lb.starts = ring.into_iter().collect();
    Ok(lb)
}

/// Find the `n` instructions before `addr` with no known boundary to start
/// from (code without symbols, such as JIT code). x86 decoding tends to
/// fall into step within a few instructions, so start a little further back
/// at each byte offset and keep the furthest start that lands exactly on
/// `addr` without meeting invalid encodings. A guess: may be wrong.
pub fn lookback_guess(mem: &dyn Memory, addr: u64, n: usize) -> Lookback {
    let reach = (n as u64).saturating_mul(8).saturating_add(32);
    for back in (1..=reach).rev() {
        let Some(from) = addr.checked_sub(back) else { continue };
        if let Ok(lb) = lookback(mem, from, addr, n)
            && lb.aligned
            && lb.invalid == 0
            && !lb.starts.is_empty()
        {
            return lb;
        }
    }
    Lookback { starts: Vec::new(), aligned: true, invalid: 0 }
}

/// Addresses the formatter may ask about for the instruction being
/// formatted, with their names. Refilled before each instruction, because
/// iced wants a `'static` resolver and the caller's resolver is borrowed.
#[derive(Default)]
struct Names {
    map: HashMap<u64, String>,
}

struct Resolver(Rc<RefCell<Names>>);

impl SymbolResolver for Resolver {
    fn symbol(
        &mut self,
        _insn: &Instruction,
        _operand: u32,
        _insn_operand: Option<u32>,
        address: u64,
        _size: u32,
    ) -> Option<SymbolResult<'_>> {
        let names = self.0.borrow();
        let s = names.map.get(&address)?;
        // The text already carries any `+0xoff`, so the symbol "is at" the
        // address and iced adds no offset of its own.
        Some(SymbolResult::with_string(address, s.clone()))
    }
}

/// A formatter and its resolver, reused across instructions.
pub struct Disassembler {
    formatter: Box<dyn Formatter>,
    att: bool,
    names: Rc<RefCell<Names>>,
}

impl Disassembler {
    pub fn new(syntax: Syntax) -> Disassembler {
        let names = Rc::new(RefCell::new(Names::default()));
        let resolver: Box<dyn SymbolResolver> = Box::new(Resolver(names.clone()));
        let mut formatter: Box<dyn Formatter> = match syntax {
            Syntax::Att => Box::new(GasFormatter::with_options(Some(resolver), None)),
            Syntax::Intel => Box::new(IntelFormatter::with_options(Some(resolver), None)),
        };
        let o = formatter.options_mut();
        // gdb's layout: the mnemonic padded, operands unspaced, lowercase hex.
        o.set_first_operand_char_index(7);
        o.set_uppercase_hex(false);
        o.set_hex_prefix("0x");
        o.set_hex_suffix("");
        o.set_branch_leading_zeros(false);
        o.set_leading_zeros(false);
        o.set_small_hex_numbers_in_decimal(false);
        o.set_add_leading_zero_to_hex_numbers(false);
        o.set_rip_relative_addresses(true);
        // Closer to objdump/gdb: show what is encoded (`0x0(%rax)`, `cs`
        // prefixes, three-operand imul).
        o.set_show_zero_displacements(true);
        o.set_show_useless_prefixes(true);
        o.set_use_pseudo_ops(false);
        o.set_memory_size_options(iced_x86::MemorySizeOptions::Minimal);
        Disassembler { formatter, att: syntax == Syntax::Att, names }
    }

    /// See [`decode_one`].
    pub fn decode_one(&mut self, mem: &dyn Memory, addr: u64, sym: &dyn Fn(u64) -> Option<String>) -> Result<Insn, MemError> {
        let bytes = read_prefix(mem, addr, MAX_INSN_LEN)?;
        match self.decode_in(&bytes, addr, sym) {
            Some(i) => Ok(i),
            // The instruction runs into unreadable memory.
            None => Err(mem.read_u8(addr.wrapping_add(bytes.len() as u64)).err().unwrap_or(MemError::Unmapped {
                addr: addr.wrapping_add(bytes.len() as u64),
            })),
        }
    }

    /// See [`decode_range`].
    pub fn decode_range(&mut self, mem: &dyn Memory, addr: u64, count: usize, sym: &dyn Fn(u64) -> Option<String>) -> Decoded {
        self.decode_while(mem, addr, count, sym, &|_| true)
    }

    /// See [`decode_span`].
    pub fn decode_span(
        &mut self,
        mem: &dyn Memory,
        start: u64,
        end: u64,
        max: usize,
        sym: &dyn Fn(u64) -> Option<String>,
    ) -> Decoded {
        self.decode_while(mem, start, max, sym, &|a| a < end)
    }

    fn decode_while(
        &mut self,
        mem: &dyn Memory,
        addr: u64,
        count: usize,
        sym: &dyn Fn(u64) -> Option<String>,
        more: &dyn Fn(u64) -> bool,
    ) -> Decoded {
        let mut out = Decoded::default();
        let mut buf: Vec<u8> = Vec::new();
        let mut buf_addr = addr;
        // Whether `buf` ends where readable memory ends.
        let mut buf_final = false;
        let mut pc = addr;
        while out.insns.len() < count && more(pc) {
            let off = pc.wrapping_sub(buf_addr) as usize;
            if off > buf.len() || (buf.len() - off < MAX_INSN_LEN && !buf_final) {
                match read_prefix(mem, pc, READ_CHUNK) {
                    Ok(b) => {
                        buf_final = b.len() < READ_CHUNK;
                        buf = b;
                        buf_addr = pc;
                    }
                    Err(e) => {
                        out.stopped = Some(e);
                        break;
                    }
                }
                continue;
            }
            match self.decode_in(&buf[off..], pc, sym) {
                Some(i) => {
                    pc = i.end();
                    out.insns.push(i);
                    if pc < addr {
                        break; // wrapped around the address space
                    }
                }
                None => {
                    let at = buf_addr.wrapping_add(buf.len() as u64);
                    out.stopped = Some(mem.read_u8(at).err().unwrap_or(MemError::Unmapped { addr: at }));
                    break;
                }
            }
        }
        out
    }

    /// Decode one instruction from `bytes` (at `addr`). `None` when the
    /// bytes end inside the instruction.
    fn decode_in(&mut self, bytes: &[u8], addr: u64, sym: &dyn Fn(u64) -> Option<String>) -> Option<Insn> {
        let bytes = &bytes[..bytes.len().min(MAX_INSN_LEN)];
        if bytes.is_empty() {
            return None;
        }
        let mut dec = Decoder::with_ip(64, bytes, addr, DecoderOptions::NONE);
        let insn = dec.decode();
        if insn.is_invalid() {
            if dec.last_error() == DecoderError::NoMoreBytes && bytes.len() < MAX_INSN_LEN {
                return None;
            }
            return Some(Insn {
                addr,
                len: 1,
                bytes: bytes[..1].to_vec(),
                text: "(bad)".into(),
                target: None,
                invalid: true,
            });
        }
        let target = match insn.op0_kind() {
            OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64 => Some(insn.near_branch_target()),
            _ => None,
        };
        {
            let mut names = self.names.borrow_mut();
            names.map.clear();
            for a in operand_addresses(&insn, target) {
                if let Some(s) = sym(a) {
                    names.map.insert(a, s);
                }
            }
        }
        let mut text = String::new();
        self.formatter.format(&insn, &mut text);
        if self.att {
            text = att_like_objdump(text);
            if is_shift_by_one(&insn) {
                // The D0/D1 forms have an implicit count, which objdump omits.
                text = text.replacen("$0x1,", "", 1);
            }
        }
        // An unnamed RIP-relative operand shows only its displacement; add
        // the absolute address, as gdb does.
        if insn.is_ip_rel_memory_operand() && !self.names.borrow().map.contains_key(&insn.ip_rel_memory_address()) {
            text.push_str(&format!("  # {:#x}", insn.ip_rel_memory_address()));
        }
        let len = insn.len();
        Some(Insn { addr, len, bytes: bytes[..len].to_vec(), text, target, invalid: false })
    }
}

/// Where iced's AT&T differs from objdump's and gdb's for no reason, follow
/// them, so output can be compared line by line: no `q` on near calls,
/// jumps, pushes and pops (64-bit is their only size), and the scale of an
/// index always shown (`(%rax,%rbx,1)`).
fn att_like_objdump(mut text: String) -> String {
    for m in ["callq ", "jmpq ", "pushq ", "popq "] {
        if let Some(rest) = text.strip_prefix(m) {
            text = format!("{}  {rest}", &m[..m.len() - 2]);
            break;
        }
    }
    // `(%base,%index)` / `(,%index)` without a scale.
    let mut out = String::with_capacity(text.len() + 2);
    let mut rest = text.as_str();
    while let Some(open) = rest.find('(') {
        let Some(close) = rest[open..].find(')').map(|c| open + c) else { break };
        let inner = &rest[open + 1..close];
        out.push_str(&rest[..close]);
        if inner.matches(',').count() == 1 && inner.split(',').nth(1).is_some_and(|i| i.starts_with('%')) {
            out.push_str(",1");
        }
        rest = &rest[close..];
        out.push(')');
        rest = &rest[1..];
    }
    out.push_str(rest);
    out
}

/// A shift or rotate in its one-bit form (opcode D0/D1, count implied).
fn is_shift_by_one(insn: &Instruction) -> bool {
    if insn.op_count() != 2 || insn.op1_kind() != OpKind::Immediate8 || insn.immediate8() != 1 {
        return false;
    }
    let c = format!("{:?}", insn.code());
    c.ends_with("_1") && ["Rol", "Ror", "Rcl", "Rcr", "Shl", "Shr", "Sal", "Sar"].iter().any(|p| c.starts_with(p))
}

/// The addresses an instruction refers to that are worth naming: a direct
/// branch target, a RIP-relative operand, an absolute memory operand.
/// Immediates are left alone: most are not addresses.
fn operand_addresses(insn: &Instruction, target: Option<u64>) -> Vec<u64> {
    let mut v: Vec<u64> = target.into_iter().collect();
    let has_mem = (0..insn.op_count()).any(|i| insn.op_kind(i) == OpKind::Memory);
    if has_mem {
        if insn.is_ip_rel_memory_operand() {
            v.push(insn.ip_rel_memory_address());
        } else if insn.memory_base() == Register::None
            && insn.memory_index() == Register::None
            && !matches!(insn.memory_segment(), Register::FS | Register::GS)
        {
            v.push(insn.memory_displacement64());
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::FlatMemory;

    fn names(a: u64) -> Option<String> {
        match a {
            0x1000 => Some("start".into()),
            0x2000 => Some("data_sym".into()),
            _ => None,
        }
    }

    #[test]
    fn decodes_and_symbolizes() {
        // push %rbp; mov %rsp,%rbp; call start; mov 0x2000(%rip),%rax; ret
        let mut code = vec![0x55, 0x48, 0x89, 0xe5, 0xe8];
        let call_end = 0x1000u64 + 9;
        code.extend_from_slice(&(0x1000i64 - call_end as i64).to_le_bytes()[..4]);
        let mov_end = call_end + 7;
        code.extend_from_slice(&[0x48, 0x8b, 0x05]);
        code.extend_from_slice(&((0x2000 - mov_end as i64) as i32).to_le_bytes());
        code.push(0xc3);
        let mem = FlatMemory { base: 0x1000, data: code };
        let d = decode_range(&mem, 0x1000, 100, &names);
        let texts: Vec<&str> = d.insns.iter().map(|i| i.text.as_str()).collect();
        assert_eq!(texts, ["push   %rbp", "mov    %rsp,%rbp", "call   start", "mov    data_sym(%rip),%rax", "ret"]);
        assert_eq!(d.insns[2].target, Some(0x1000));
        assert_eq!(d.insns[1].bytes, [0x48, 0x89, 0xe5]);
        // Ran off the end of the image: says where.
        assert_eq!(d.stopped, Some(MemError::Unmapped { addr: mem.base + mem.data.len() as u64 }));
    }

    #[test]
    fn truncated_instruction_names_the_missing_byte() {
        let mem = FlatMemory { base: 0x1000, data: vec![0x55, 0x48, 0x89] };
        let d = decode_range(&mem, 0x1000, 10, &names);
        assert_eq!(d.insns.len(), 1);
        assert_eq!(d.stopped, Some(MemError::Unmapped { addr: 0x1003 }));
        assert_eq!(decode_one(&mem, 0x1001, &names), Err(MemError::Unmapped { addr: 0x1003 }));
        assert_eq!(decode_one(&mem, 0x5000, &names), Err(MemError::Unmapped { addr: 0x5000 }));
    }

    #[test]
    fn invalid_bytes_do_not_stop_decoding() {
        let mem = FlatMemory { base: 0x1000, data: vec![0x06, 0x90, 0xc3] };
        let d = decode_range(&mem, 0x1000, 3, &names);
        let texts: Vec<&str> = d.insns.iter().map(|i| i.text.as_str()).collect();
        assert_eq!(texts, ["(bad)", "nop", "ret"]);
        assert!(d.stopped.is_none());
    }

    #[test]
    fn span_stops_at_end() {
        let mem = FlatMemory { base: 0x1000, data: vec![0x90; 64] };
        let d = decode_span(&mem, 0x1000, 0x1010, 1000, &names);
        assert_eq!(d.insns.len(), 16);
        let d = decode_span(&mem, 0x1000, 0x1010, 5, &names);
        assert_eq!(d.insns.len(), 5);
    }

    #[test]
    fn lookback_aligns_from_a_boundary_and_guesses_without_one() {
        // nop; mov %rsp,%rbp; push %rbx; mov $0x1,%eax; ret
        let code = vec![0x90, 0x48, 0x89, 0xe5, 0x53, 0xb8, 1, 0, 0, 0, 0xc3];
        let mem = FlatMemory { base: 0x1000, data: code };
        let lb = lookback(&mem, 0x1000, 0x100a, 3).unwrap();
        assert_eq!(lb, Lookback { starts: vec![0x1001, 0x1004, 0x1005], aligned: true, invalid: 0 });
        // 0x1007 is inside the mov: the last start contains it.
        let lb = lookback(&mem, 0x1000, 0x1007, 2).unwrap();
        assert_eq!((lb.starts, lb.aligned), (vec![0x1004, 0x1005], false));
        assert!(lookback(&mem, 0xff0, 0x1005, 2).is_err());
        let g = lookback_guess(&mem, 0x100a, 2);
        assert!(g.aligned && g.starts.last() == Some(&0x1005), "{g:?}");
        assert!(lookback_guess(&mem, 0x1000, 2).starts.is_empty());
        // Far more than one read chunk of 3-byte instructions.
        let mem = FlatMemory { base: 0x10000, data: [0x48, 0x89, 0xe5].repeat(100_000) };
        let lb = lookback(&mem, 0x10000, 0x10000 + 3 * 99_000, 2).unwrap();
        assert_eq!(lb.starts, vec![0x10000 + 3 * 98_998, 0x10000 + 3 * 98_999]);
        assert!(lb.aligned);
        let lb = lookback(&mem, 0x10000, 0x10000 + 3 * 99_000 + 1, 1).unwrap();
        assert_eq!((lb.starts, lb.aligned), (vec![0x10000 + 3 * 99_000], false));
        assert!(lookback(&mem, 0x10000, 0x10000 + 400_000, 1).is_err());
    }

    #[test]
    fn objdump_spellings() {
        assert_eq!(att_like_objdump("callq  *0x40(%rax)".into()), "call   *0x40(%rax)");
        assert_eq!(att_like_objdump("nopw   0x0(%rax,%rax)".into()), "nopw   0x0(%rax,%rax,1)");
        assert_eq!(att_like_objdump("lea    (,%rbx),%rax".into()), "lea    (,%rbx,1),%rax");
        assert_eq!(att_like_objdump("mov    (%rax,%rbx,4),%rcx".into()), "mov    (%rax,%rbx,4),%rcx");
        assert_eq!(att_like_objdump("mov    (%rax),%rcx".into()), "mov    (%rax),%rcx");
        // D1 /5: shr by one, count implied.
        let mem = FlatMemory { base: 0x1000, data: vec![0x48, 0xd1, 0xea] };
        assert_eq!(decode_one(&mem, 0x1000, &names).unwrap().text, "shr    %rdx");
    }

    #[test]
    fn read_prefix_finds_the_edge() {
        struct Odd(FlatMemory);
        // Reports a useless failing address, forcing the search.
        impl Memory for Odd {
            fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemError> {
                self.0.read(addr, buf).map_err(|_| MemError::Unmapped { addr: 0 })
            }
        }
        let m = Odd(FlatMemory { base: 0x1000, data: vec![1; 37] });
        assert_eq!(read_prefix(&m, 0x1000, 100).map(|b| b.len()), Ok(37));
        assert_eq!(read_prefix(&m, 0x1024, 100).map(|b| b.len()), Ok(1));
        assert!(read_prefix(&m, 0x1025, 100).is_err());
    }
}
