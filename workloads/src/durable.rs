//! The `fsync` op's directory: whether its file system writes to stable
//! storage on fsync ([`durable_dir`], which the probe checks before an
//! `fsync` cell runs), and what it is ([`describe`], which the results header
//! records): the file system, the mount's source and options, and the block
//! device queue's write cache, without which an fsync figure cannot be read.

use crate::probe::errno_name;
use crate::sys::fs_type;
use results_schema::FsyncDir;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// statfs(2) magics by the name the kernel gives the file system.
const FS_NAMES: [(i64, &str); 16] = [
    (0xEF53, "ext2/ext3/ext4"),
    (0x5846_5342, "xfs"),
    (0x9123_683E, "btrfs"),
    (0xF2F5_2010, "f2fs"),
    (0xCA45_1A4E, "bcachefs"),
    (0x2FC1_2FC1, "zfs"),
    (0x6969, "nfs"),
    (0xFF53_4D42, "cifs"),
    (0x6573_5546, "fuse"),
    (0x0102_1997, "9p"),
    (0x794C_7630, "overlay"),
    (0x4D44, "vfat"),
    (0x5346_544E, "ntfs"),
    (libc::TMPFS_MAGIC, "tmpfs"),
    (0x8584_58F6, "ramfs"),
    (libc::HUGETLBFS_MAGIC, "hugetlbfs"),
];

/// File systems whose fsync returns without writing anything anywhere.
const VOLATILE_FS: [&str; 3] = ["tmpfs", "ramfs", "hugetlbfs"];

/// The name of a statfs magic, or the magic in hex when it is not known.
fn fs_name(magic: i64) -> String {
    FS_NAMES
        .iter()
        .find(|(m, _)| *m == magic)
        .map_or_else(|| format!("{magic:#x}"), |(_, name)| name.to_string())
}

/// Whether `dir` is a directory on a file system whose fsync reaches stable
/// storage; `Err` is the one-line reason it is not.
pub fn durable_dir(dir: &Path) -> Result<(), String> {
    let kind = fs_type(dir).map_err(|e| format!("{}: {}", dir.display(), errno_name(&e)))?;
    let name = fs_name(kind);
    if VOLATILE_FS.contains(&name.as_str()) {
        Err(format!(
            "{} is on {name}, whose fsync does nothing (set fsync_dir in the config, or URING_SYNCBENCH_FSYNC_DIR)",
            dir.display()
        ))
    } else if !dir.is_dir() {
        Err(format!("{}: not a directory", dir.display()))
    } else {
        Ok(())
    }
}

/// One line of /proc/self/mountinfo, the fields this module reads.
#[derive(Debug, PartialEq)]
struct Mount {
    /// The mounted device's `major:minor`.
    dev: String,
    point: PathBuf,
    options: String,
    fs_type: String,
    source: String,
}

/// Undoes mountinfo's octal escapes (`\040` for a space).
fn unescape(field: &str) -> String {
    let mut out = Vec::with_capacity(field.len());
    let bytes = field.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .and_then(|d| u8::from_str_radix(std::str::from_utf8(d).ok()?, 8).ok());
        match (bytes[i], octal) {
            (b'\\', Some(byte)) => {
                out.push(byte);
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads one mountinfo line: `id parent maj:min root point options
/// [optional...] - fstype source super-options`.
fn parse_mount(line: &str) -> Option<Mount> {
    let (left, right) = line.split_once(" - ")?;
    let left: Vec<&str> = left.split(' ').collect();
    let mut right = right.split(' ');
    Some(Mount {
        dev: left.get(2)?.to_string(),
        point: PathBuf::from(unescape(left.get(4)?)),
        options: left.get(5)?.to_string(),
        fs_type: unescape(right.next()?),
        source: unescape(right.next()?),
    })
}

/// The mount holding `path` (absolute, symlinks resolved): the one whose
/// mount point is its longest prefix, the last mounted when several stack.
fn mount_of(mountinfo: &str, path: &Path) -> Option<Mount> {
    mountinfo
        .lines()
        .filter_map(parse_mount)
        .filter(|m| path.starts_with(&m.point))
        .max_by_key(|m| m.point.components().count())
}

/// The queue directory of the block device behind `mount`, a partition's
/// being its disk's; none for a mount of no block device.
fn block_queue(mount: &Mount) -> Option<PathBuf> {
    let by_number = Path::new("/sys/dev/block").join(&mount.dev);
    let by_name = fs::canonicalize(&mount.source)
        .ok()
        .and_then(|dev| Some(Path::new("/sys/class/block").join(dev.file_name()?)));
    let device = std::iter::once(by_number)
        .chain(by_name)
        .find_map(|p| fs::canonicalize(p).ok())?;
    let disk = match device.join("partition").exists() {
        true => device.parent()?.to_path_buf(),
        false => device,
    };
    Some(disk.join("queue")).filter(|q| q.is_dir())
}

/// What `dir` is on, as far as this machine tells: its file system, the
/// mount's source and options, and the block queue's write cache and
/// rotational flag. Never fails: what cannot be read is left absent, and a
/// path that cannot be resolved is described by itself alone.
pub fn describe(dir: &Path) -> FsyncDir {
    let path = dir.display().to_string();
    let Ok((meta, resolved)) = fs::canonicalize(dir).and_then(|r| Ok((fs::metadata(&r)?, r)))
    else {
        return FsyncDir {
            path,
            ..FsyncDir::default()
        };
    };
    let dev = format!("{}:{}", libc::major(meta.dev()), libc::minor(meta.dev()));
    let mount = fs::read_to_string("/proc/self/mountinfo")
        .ok()
        .and_then(|text| mount_of(&text, &resolved));
    let fs_type = match &mount {
        Some(m) if m.dev == dev => Some(m.fs_type.clone()),
        _ => fs_type(&resolved).ok().map(fs_name),
    };
    let queue = mount.as_ref().and_then(block_queue);
    let read = |name: &str| {
        let text = fs::read_to_string(queue.as_ref()?.join(name)).ok()?;
        Some(text.trim().to_string())
    };
    FsyncDir {
        path,
        fs_type,
        write_cache: read("write_cache"),
        rotational: read("rotational").map(|r| r == "1"),
        source: mount.as_ref().map(|m| m.source.clone()),
        mount_options: mount.map(|m| m.options),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
25 24 0:23 / /dev/shm rw,nosuid - tmpfs tmpfs rw,size=100k
30 25 0:27 / /dev/shm rw,relatime - tmpfs shm rw
40 27 8:17 / /var/tmp\\040disk rw,noatime shared:1 - xfs /dev/sdb1 rw,attr2
";

    #[test]
    fn the_longest_mount_point_prefix_wins_and_the_top_of_a_stack() {
        let at = |p: &str| mount_of(MOUNTINFO, Path::new(p)).unwrap();
        let disk = at("/var/tmp disk/x");
        assert_eq!(
            disk,
            Mount {
                dev: "8:17".into(),
                point: "/var/tmp disk".into(),
                options: "rw,noatime".into(),
                fs_type: "xfs".into(),
                source: "/dev/sdb1".into(),
            }
        );
        assert_eq!(
            at("/var/tmp").fs_type,
            "ext4",
            "a prefix is whole components"
        );
        assert_eq!(
            at("/dev/shm").source,
            "shm",
            "the last of two stacked mounts"
        );
        assert_eq!(at("/dev/shmx").fs_type, "ext4");
    }

    #[test]
    fn statfs_magics_read_by_name_or_in_hex() {
        assert_eq!(fs_name(0x5846_5342), "xfs");
        assert_eq!(fs_name(libc::TMPFS_MAGIC), "tmpfs");
        assert_eq!(fs_name(0x1234_5678), "0x12345678");
    }

    #[test]
    fn dev_shm_is_described_as_tmpfs_with_no_block_queue() {
        let shm = Path::new("/dev/shm");
        if durable_dir(shm).is_ok() {
            eprintln!("skip: /dev/shm is not tmpfs here");
            return;
        }
        let d = describe(shm);
        assert_eq!(d.path, "/dev/shm");
        assert_eq!(d.fs_type.as_deref(), Some("tmpfs"), "{d:?}");
        let options = d.mount_options.as_deref().unwrap();
        assert!(
            options.starts_with("rw") || options.starts_with("ro"),
            "{d:?}"
        );
        assert_eq!((d.write_cache, d.rotational), (None, None));
    }

    #[test]
    fn the_default_fsync_dir_is_described_down_to_its_disk_queue() {
        let dir = Path::new(crate::op::DEFAULT_FSYNC_DIR);
        if let Err(why) = durable_dir(dir) {
            eprintln!("skip: {why}");
            return;
        }
        let d = describe(dir);
        let fs = d.fs_type.as_deref().unwrap();
        assert!(!VOLATILE_FS.contains(&fs), "{d:?}");
        let statfs_name = fs_name(fs_type(dir).unwrap());
        assert!(
            statfs_name.split('/').any(|n| n == fs) || statfs_name == "fuse",
            "the mount's type {fs} agrees with statfs's {statfs_name}"
        );
        assert!(d.mount_options.unwrap().starts_with("r"));
        let source = d.source.unwrap();
        let Some(name) = source.strip_prefix("/dev/") else {
            eprintln!("skip the queue: {source} is no block device");
            return;
        };
        if !Path::new("/sys/class/block").join(name).exists() {
            eprintln!("skip the queue: no /sys/class/block/{name}");
            return;
        }
        let cache = d.write_cache.unwrap();
        assert!(
            ["write back", "write through"].contains(&cache.as_str()),
            "{cache}"
        );
        assert!(d.rotational.is_some());
    }

    #[test]
    fn a_missing_directory_is_described_by_its_path_alone() {
        let d = describe(Path::new("/nonexistent/uring-syncbench"));
        assert_eq!(
            d,
            FsyncDir {
                path: "/nonexistent/uring-syncbench".into(),
                ..FsyncDir::default()
            },
            "not the mount of / it would be under"
        );
    }
}
