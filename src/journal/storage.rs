//! Where a journal's files live, behind one small trait (as redb keeps its
//! storage behind `StorageBackend`): the directory on disk, memory, and a
//! crash-simulating memory that keeps the durable image as it was at its
//! N-th sync. Everything above (segments, snapshots, recovery) sees only
//! named byte files with append, atomic replace and sync.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A flat set of named files.
pub trait Storage: Send + Sync {
    /// Creates the container if it is missing.
    fn create(&self) -> io::Result<()>;
    /// The file names, sorted.
    fn list(&self) -> io::Result<Vec<String>>;
    /// A file's bytes (`NotFound` if it is missing).
    fn read(&self, name: &str) -> io::Result<Vec<u8>>;
    /// Appends to a file, creating it. Not durable until [`Storage::sync`].
    fn append(&self, name: &str, bytes: &[u8]) -> io::Result<()>;
    /// Cuts a file to `len` bytes (creating it empty).
    fn truncate(&self, name: &str, len: u64) -> io::Result<()>;
    /// Makes a file's bytes (and its name) durable.
    fn sync(&self, name: &str) -> io::Result<()>;
    /// Replaces a file's bytes atomically and durably.
    fn replace(&self, name: &str, bytes: &[u8]) -> io::Result<()>;
    fn remove(&self, name: &str) -> io::Result<()>;
    /// Takes exclusive use of the storage for this process; `false` if
    /// another holds it. Released by [`Storage::unlock`] or when the
    /// process ends.
    fn lock(&self) -> io::Result<bool>;
    fn unlock(&self);
    /// Where a file is, for messages.
    fn location(&self, name: &str) -> PathBuf;
}

/// A directory on disk.
pub struct FileStorage {
    dir: PathBuf,
    /// Open append handles, by name.
    handles: Mutex<BTreeMap<String, File>>,
    /// Names created since the directory was last synced.
    fresh: Mutex<Vec<String>>,
    lock: Mutex<Option<File>>,
}

impl FileStorage {
    pub fn new(dir: &Path) -> FileStorage {
        FileStorage {
            dir: dir.to_path_buf(),
            handles: Mutex::new(BTreeMap::new()),
            fresh: Mutex::new(Vec::new()),
            lock: Mutex::new(None),
        }
    }

    fn sync_dir(&self) -> io::Result<()> {
        File::open(&self.dir)?.sync_all()
    }

    fn with_handle<T>(
        &self,
        name: &str,
        f: impl FnOnce(&mut File) -> io::Result<T>,
    ) -> io::Result<T> {
        let mut handles = self
            .handles
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?;
        if !handles.contains_key(name) {
            let path = self.dir.join(name);
            if !path.exists() {
                if let Ok(mut fresh) = self.fresh.lock() {
                    fresh.push(name.to_string());
                }
            }
            let file = OpenOptions::new().create(true).append(true).open(path)?;
            handles.insert(name.to_string(), file);
        }
        match handles.get_mut(name) {
            Some(file) => f(file),
            None => Err(io::Error::other("no handle")),
        }
    }
}

impl Storage for FileStorage {
    fn create(&self) -> io::Result<()> {
        fs::create_dir_all(&self.dir)
    }

    fn list(&self) -> io::Result<Vec<String>> {
        let mut out: Vec<String> = fs::read_dir(&self.dir)?
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect();
        out.sort();
        Ok(out)
    }

    fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        fs::read(self.dir.join(name))
    }

    fn append(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.with_handle(name, |f| f.write_all(bytes))
    }

    fn truncate(&self, name: &str, len: u64) -> io::Result<()> {
        self.with_handle(name, |f| f.set_len(len))
    }

    fn sync(&self, name: &str) -> io::Result<()> {
        self.with_handle(name, |f| f.sync_data())?;
        let fresh = self
            .fresh
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default();
        if !fresh.is_empty() {
            self.sync_dir()?;
        }
        Ok(())
    }

    fn replace(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        if let Ok(mut h) = self.handles.lock() {
            h.remove(name);
        }
        let tmp = self.dir.join(format!("{name}.tmp"));
        {
            let mut f = File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, self.dir.join(name))?;
        self.sync_dir()
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        if let Ok(mut h) = self.handles.lock() {
            h.remove(name);
        }
        fs::remove_file(self.dir.join(name))
    }

    fn lock(&self) -> io::Result<bool> {
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join("lock"))?;
        match f.try_lock() {
            Ok(()) => {
                if let Ok(mut l) = self.lock.lock() {
                    *l = Some(f);
                }
                Ok(true)
            }
            Err(fs::TryLockError::WouldBlock) => Ok(false),
            Err(fs::TryLockError::Error(e)) => Err(e),
        }
    }

    fn unlock(&self) {
        if let Ok(mut l) = self.lock.lock() {
            *l = None;
        }
    }

    fn location(&self, name: &str) -> PathBuf {
        if name.is_empty() {
            self.dir.clone()
        } else {
            self.dir.join(name)
        }
    }
}

/// One file of [`MemStorage`]: its bytes, and what a crash would leave.
#[derive(Clone, Default)]
struct MemFile {
    data: Vec<u8>,
    /// The bytes as of the last sync (`None`: never synced, so a crash
    /// loses the file).
    durable: Option<Vec<u8>>,
}

#[derive(Default)]
struct MemState {
    files: BTreeMap<String, MemFile>,
    locked: bool,
    syncs: u64,
    /// Freeze the durable image at this sync.
    freeze_at: Option<u64>,
    image: Option<BTreeMap<String, Vec<u8>>>,
    /// The machine is gone: every later write fails.
    dead: bool,
}

/// Files in memory, with a power-loss model: only synced bytes survive a
/// crash. With [`MemStorage::crashing_at`], the durable image is captured
/// at the N-th sync (a sync or an atomic replace), as if the machine lost
/// power right after it; [`MemStorage::crash_image`] reopens from it.
#[derive(Clone, Default)]
pub struct MemStorage {
    state: Arc<Mutex<MemState>>,
}

impl MemStorage {
    pub fn new() -> MemStorage {
        MemStorage::default()
    }

    /// A storage whose durable image is frozen at its `n`-th sync (from 1).
    pub fn crashing_at(n: u64) -> MemStorage {
        let s = MemStorage::default();
        if let Ok(mut st) = s.state.lock() {
            st.freeze_at = Some(n);
        }
        s
    }

    /// How many syncs (and atomic replaces) it has seen.
    pub fn syncs(&self) -> u64 {
        self.state.lock().map(|s| s.syncs).unwrap_or(0)
    }

    /// A new storage holding what survived the simulated crash (`None` if
    /// the run never reached that sync).
    pub fn crash_image(&self) -> Option<MemStorage> {
        let image = self.state.lock().ok()?.image.clone()?;
        let files = image
            .into_iter()
            .map(|(n, data)| {
                let durable = Some(data.clone());
                (n, MemFile { data, durable })
            })
            .collect();
        Some(MemStorage {
            state: Arc::new(Mutex::new(MemState {
                files,
                ..MemState::default()
            })),
        })
    }

    /// The machine loses power now: from here on every write fails, and
    /// the returned storage holds what was durable at this instant.
    pub fn power_off(&self) -> MemStorage {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.dead = true;
        let files = s
            .files
            .iter()
            .filter_map(|(n, f)| {
                let d = f.durable.clone()?;
                Some((
                    n.clone(),
                    MemFile {
                        data: d.clone(),
                        durable: Some(d),
                    },
                ))
            })
            .collect();
        MemStorage {
            state: Arc::new(Mutex::new(MemState {
                files,
                ..MemState::default()
            })),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut MemState) -> T) -> io::Result<T> {
        let mut s = self
            .state
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?;
        Ok(f(&mut s))
    }

    /// Like `with`, for a write: fails once the machine is off.
    fn write<T>(&self, f: impl FnOnce(&mut MemState) -> T) -> io::Result<T> {
        self.with(|s| {
            if s.dead {
                Err(io::Error::other("the machine is off"))
            } else {
                Ok(f(s))
            }
        })?
    }
}

impl MemState {
    fn synced(&mut self) {
        self.syncs += 1;
        if self.freeze_at == Some(self.syncs) {
            self.image = Some(
                self.files
                    .iter()
                    .filter_map(|(n, f)| f.durable.clone().map(|d| (n.clone(), d)))
                    .collect(),
            );
        }
    }
}

impl Storage for MemStorage {
    fn create(&self) -> io::Result<()> {
        Ok(())
    }

    fn list(&self) -> io::Result<Vec<String>> {
        self.with(|s| s.files.keys().cloned().collect())
    }

    fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        self.with(|s| s.files.get(name).map(|f| f.data.clone()))?
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, name.to_string()))
    }

    fn append(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.write(|s| {
            s.files
                .entry(name.to_string())
                .or_default()
                .data
                .extend_from_slice(bytes)
        })
    }

    fn truncate(&self, name: &str, len: u64) -> io::Result<()> {
        self.write(|s| {
            s.files
                .entry(name.to_string())
                .or_default()
                .data
                .truncate(len as usize)
        })
    }

    fn sync(&self, name: &str) -> io::Result<()> {
        self.write(|s| {
            let f = s.files.entry(name.to_string()).or_default();
            f.durable = Some(f.data.clone());
            s.synced();
        })
    }

    fn replace(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.write(|s| {
            s.files.insert(
                name.to_string(),
                MemFile {
                    data: bytes.to_vec(),
                    durable: Some(bytes.to_vec()),
                },
            );
            s.synced();
        })
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        self.write(|s| s.files.remove(name))?
            .map(|_| ())
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, name.to_string()))
    }

    fn lock(&self) -> io::Result<bool> {
        self.with(|s| !std::mem::replace(&mut s.locked, true))
    }

    fn unlock(&self) {
        let _ = self.with(|s| s.locked = false);
    }

    fn location(&self, name: &str) -> PathBuf {
        PathBuf::from(format!("memory:{name}"))
    }
}
