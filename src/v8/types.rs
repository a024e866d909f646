//! Instance types, from the `v8dbg_type_<Class>__<INSTANCE_TYPE>` symbols.
//! Numbers drift between versions (JS_ARRAY_TYPE is 2104 in Node 18 and
//! 2121 in Node 26), so jmdb only ever asks by name.

use std::collections::HashMap;

use super::metadata::Metadata;

#[derive(Debug, Default, Clone)]
pub struct Types {
    by_name: HashMap<String, u16>,
    /// Number → (INSTANCE_TYPE name, class name).
    by_num: HashMap<u16, (String, String)>,
}

impl Types {
    pub fn load(md: &Metadata) -> Types {
        let mut t = Types::default();
        for (k, v) in &md.v8 {
            let Some(rest) = k.strip_prefix("type_") else { continue };
            let Some((class, ty)) = rest.split_once("__") else { continue };
            let n = v.value as u16;
            t.by_name.entry(ty.to_string()).or_insert(n);
            t.by_num.entry(n).or_insert((ty.to_string(), class.to_string()));
        }
        t
    }

    /// The number of an instance type by name (`JS_ARRAY_TYPE`).
    pub fn num(&self, name: &str) -> Option<u16> {
        self.by_name.get(name).copied()
    }

    /// Whether `t` is the named type (false if this build lacks the name).
    pub fn is(&self, t: u16, name: &str) -> bool {
        self.num(name) == Some(t)
    }

    /// The INSTANCE_TYPE name of a number, if the metadata names it.
    pub fn name(&self, t: u16) -> Option<&str> {
        self.by_num.get(&t).map(|(n, _)| n.as_str())
    }

    /// The class name (`JSArray`) of a number.
    pub fn class(&self, t: u16) -> Option<&str> {
        self.by_num.get(&t).map(|(_, c)| c.as_str())
    }

    /// Every (number, type name, class), sorted by number.
    pub fn all(&self) -> Vec<(u16, &str, &str)> {
        let mut v: Vec<_> = self.by_num.iter().map(|(n, (t, c))| (*n, t.as_str(), c.as_str())).collect();
        v.sort();
        v
    }
}
