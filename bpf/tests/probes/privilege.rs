//! Without CAP_BPF (and CAP_PERFMON, CAP_SYS_ADMIN) loading is a skip with
//! its reason, not a panic and not a real error.

use std::fs;

use bpf::Probes;

use crate::common::{child, child_lines, child_role, exclusive};

const TEST: &str = "privilege::without_bpf_capabilities_loading_is_a_skip";

#[test]
fn without_bpf_capabilities_loading_is_a_skip() {
    if child_role().is_some() {
        return load_without_capabilities();
    }
    let _kernel = exclusive();
    let output = child(TEST, "no-caps").output().unwrap();
    let lines = child_lines(&output.stdout);
    eprintln!("child: {lines:#?}");
    assert!(output.status.success(), "child failed: {lines:?}");
    let reason = lines
        .iter()
        .find_map(|line| line.strip_prefix("skip: "))
        .expect("the child reported a skip");
    assert!(reason.starts_with("BPF needs CAP_BPF"), "{reason}");
    assert!(
        reason.ends_with("lacks CAP_BPF and CAP_PERFMON"),
        "{reason}"
    );
}

/// Child role: drop the capabilities BPF needs from this thread's effective
/// and permitted sets, check the kernel now refuses BPF, then load.
fn load_without_capabilities() {
    use caps::{CapSet, Capability};
    for set in [CapSet::Effective, CapSet::Permitted] {
        for cap in [
            Capability::CAP_BPF,
            Capability::CAP_PERFMON,
            Capability::CAP_SYS_ADMIN,
        ] {
            caps::drop(None, set, cap).unwrap();
        }
    }
    let disabled = fs::read_to_string("/proc/sys/kernel/unprivileged_bpf_disabled")
        .map(|text| text.trim().to_owned())
        .unwrap_or_else(|_| "unknown".into());
    println!("child: unprivileged_bpf_disabled {disabled}");
    let map_create = unprivileged_map_create();
    println!("child: bare BPF_MAP_CREATE: {map_create:?}");
    if disabled != "0" {
        // With unprivileged BPF disabled the kernel refuses even a map, so
        // a skip is the truth, not an over-cautious guess.
        assert_eq!(map_create, Err(libc::EPERM));
    }
    match Probes::load() {
        Ok(_) => panic!("loaded tracing programs without CAP_BPF"),
        Err(error) => {
            assert!(error.is_unsupported(), "not a skip: {error}");
            println!("child: skip: {error}");
        }
    }
}

/// BPF_MAP_CREATE of a one-slot array straight through bpf(2): `Ok` if the
/// kernel allowed it, else the errno.
fn unprivileged_map_create() -> Result<(), i32> {
    // The leading fields of union bpf_attr for BPF_MAP_CREATE; the kernel
    // requires the rest of the size passed to be zero.
    #[repr(C)]
    #[derive(Default)]
    struct MapCreate {
        map_type: u32,
        key_size: u32,
        value_size: u32,
        max_entries: u32,
        rest: [u64; 16],
    }
    const BPF_MAP_CREATE: libc::c_long = 0;
    const BPF_MAP_TYPE_ARRAY: u32 = 2;
    let attr = MapCreate {
        map_type: BPF_MAP_TYPE_ARRAY,
        key_size: 4,
        value_size: 8,
        max_entries: 1,
        ..MapCreate::default()
    };
    // SAFETY: bpf(2) reads `size_of::<MapCreate>()` bytes of `attr`.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_MAP_CREATE,
            &attr as *const MapCreate,
            std::mem::size_of::<MapCreate>(),
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0));
    }
    // SAFETY: the kernel just returned this descriptor to us.
    unsafe { libc::close(fd as i32) };
    Ok(())
}
