//! In-process object reading through libgit2 (`git2`, DESIGN 11 "Git in process"): naming
//! objects exactly as git does for the names gitgrant passes (a full object id is only ever
//! that object, never a ref spelled like one), walking trees without recursion, and the
//! path-limited history walks `git log -- <path>` does, with git's default simplification.

use std::collections::{BinaryHeap, HashMap, HashSet};
use std::path::Path;

use git2::{Commit, Object, ObjectType, Oid, Repository, Tree};

use crate::adapters::git::GitError;

/// Trees nested deeper than this are refused (git's own `core.maxTreeDepth` is 4096).
const MAX_TREE_DEPTH: usize = 4096;

/// A tree entry as history compares it: its object id and file mode.
pub type Slot = Option<(Oid, i32)>;

pub fn error(e: git2::Error) -> GitError {
    GitError::Parse(format!("libgit2: {}", e.message()))
}

fn is_full_id(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The object `spec` names: a full object id is looked up as an id only; `<rev>:<path>`
/// is the entry at that path of `<rev>`'s tree; `<rev>^{commit}` / `^{tree}` / `^{blob}`
/// peel; anything else is resolved as git's revision syntax. `None` when it names nothing.
pub fn object<'r>(repo: &'r Repository, spec: &str) -> Option<Object<'r>> {
    if spec.is_empty() || spec.contains(['\n', '\0']) {
        return None;
    }
    if is_full_id(spec) {
        return repo.find_object(Oid::from_str(spec).ok()?, None).ok();
    }
    for (suffix, kind) in [
        ("^{commit}", ObjectType::Commit),
        ("^{tree}", ObjectType::Tree),
        ("^{blob}", ObjectType::Blob),
    ] {
        if let Some(base) = spec.strip_suffix(suffix) {
            return object(repo, base)?.peel(kind).ok();
        }
    }
    if let Some((rev, path)) = spec.split_once(':')
        && !rev.is_empty()
    {
        let tree = object(repo, rev)?.peel_to_tree().ok()?;
        return tree.get_path(Path::new(path)).ok()?.to_object(repo).ok();
    }
    if spec.len() == 64 && spec.bytes().all(|b| b.is_ascii_hexdigit()) {
        // a SHA-256 id in a SHA-1 repository names nothing
        return None;
    }
    repo.revparse_single(spec).ok()
}

pub fn commit<'r>(repo: &'r Repository, spec: &str) -> Option<Commit<'r>> {
    object(repo, spec)?.peel_to_commit().ok()
}

/// The bytes of an object as `git cat-file --batch` gives them (a blob's contents, or a
/// tree's, commit's or tag's raw form).
pub fn contents(repo: &Repository, obj: &Object<'_>) -> Result<Vec<u8>, GitError> {
    if let Some(blob) = obj.as_blob() {
        return Ok(blob.content().to_vec());
    }
    Ok(repo
        .odb()
        .map_err(error)?
        .read(obj.id())
        .map_err(error)?
        .data()
        .to_vec())
}

/// The entry at `path` (files or folders, `/`-separated) of a tree.
pub fn slot(tree: &Tree<'_>, path: &str) -> Slot {
    let path = path.trim_end_matches('/');
    if path.is_empty() || path.contains('\0') {
        return None;
    }
    tree.get_path(Path::new(path)).ok().map(|e| (e.id(), e.filemode()))
}

/// One entry met by [`walk`]: its full path, id, mode and kind.
pub struct Item {
    pub path: String,
    pub id: Oid,
    pub mode: i32,
    pub kind: Option<ObjectType>,
}

/// Every non-tree entry below `tree` (whose path is `prefix`), in git's tree order, as
/// `git ls-tree -r` lists them; without recursion, so a deep tree cannot exhaust the stack.
pub fn walk(
    repo: &Repository,
    tree: Tree<'_>,
    prefix: &str,
    visit: &mut dyn FnMut(Item) -> Result<(), GitError>,
) -> Result<(), GitError> {
    let mut stack: Vec<(String, Tree<'_>, usize)> = vec![(prefix.to_string(), tree, 0)];
    while let Some((base, tree, i)) = stack.pop() {
        let Some((name, id, mode, kind)) = tree.get(i).map(|e| {
            let name = String::from_utf8_lossy(e.name_bytes()).into_owned();
            (name, e.id(), e.filemode(), e.kind())
        }) else {
            continue;
        };
        let path = if base.is_empty() {
            name
        } else {
            format!("{base}/{name}")
        };
        stack.push((base, tree, i + 1));
        if kind == Some(ObjectType::Tree) {
            if stack.len() > MAX_TREE_DEPTH {
                return Err(GitError::Parse(format!(
                    "tree `{}` is nested deeper than {MAX_TREE_DEPTH} levels",
                    path.escape_debug()
                )));
            }
            stack.push((path, repo.find_tree(id).map_err(error)?, 0));
        } else {
            visit(Item { path, id, mode, kind })?;
        }
    }
    Ok(())
}

/// The entry at `path` of each commit, remembered (a commit is its parents' child too).
struct Slots<'p> {
    path: &'p str,
    seen: HashMap<Oid, Slot>,
}

impl Slots<'_> {
    fn of(&mut self, c: &Commit<'_>) -> Result<Slot, GitError> {
        if let Some(s) = self.seen.get(&c.id()) {
            return Ok(*s);
        }
        let s = slot(&c.tree().map_err(error)?, self.path);
        self.seen.insert(c.id(), s);
        Ok(s)
    }
}

/// The parents of `c` the repository has (a shallow clone's boundary has none).
fn parents<'r>(c: &Commit<'r>) -> Vec<Commit<'r>> {
    c.parents().collect()
}

/// `git log <tip> -- <path>` with git's default history simplification, newest first by
/// committer date: a commit with a parent whose entry at `path` is the same is not shown
/// and only that parent is followed; any other commit is shown (a merge with all of its
/// parents followed). `shown` gets each shown commit, its entry and its parents' entries,
/// and returns whether to go on.
pub fn simplified_log(
    repo: &Repository,
    tip: &Commit<'_>,
    path: &str,
    shown: &mut dyn FnMut(&Commit<'_>, Slot, &[Slot]) -> bool,
) -> Result<(), GitError> {
    let mut slots = Slots {
        path,
        seen: HashMap::new(),
    };
    let mut queued: HashSet<Oid> = HashSet::from([tip.id()]);
    let mut queue: BinaryHeap<(i64, u64, Oid)> = BinaryHeap::from([(tip.time().seconds(), u64::MAX, tip.id())]);
    let mut order = u64::MAX;
    while let Some((_, _, id)) = queue.pop() {
        let c = repo.find_commit(id).map_err(error)?;
        let mine = slots.of(&c)?;
        let ps = parents(&c);
        let mut theirs = Vec::with_capacity(ps.len());
        for p in &ps {
            theirs.push(slots.of(p)?);
        }
        let same = theirs.iter().position(|s| *s == mine);
        let follow: Vec<&Commit<'_>> = match same {
            Some(i) => vec![&ps[i]],
            None => {
                if (!ps.is_empty() || mine.is_some()) && !shown(&c, mine, &theirs) {
                    return Ok(());
                }
                ps.iter().collect()
            }
        };
        for p in follow {
            if queued.insert(p.id()) {
                order -= 1;
                queue.push((p.time().seconds(), order, p.id()));
            }
        }
    }
    Ok(())
}

/// The first-parent chain of `tip`, newest first, stopping before `stop`.
pub fn first_parent_chain<'r>(tip: Commit<'r>, stop: Option<Oid>) -> Vec<Commit<'r>> {
    let mut chain = Vec::new();
    let mut next = Some(tip);
    while let Some(c) = next {
        if Some(c.id()) == stop {
            break;
        }
        next = c.parent(0).ok();
        chain.push(c);
    }
    chain
}

/// What [`diff`] still has to do, kept on a stack so that output stays in git's order.
enum Step<'r> {
    Trees(String, Option<Tree<'r>>, Option<Tree<'r>>),
    Line(Vec<u8>),
}

const ZERO: &str = "0000000000000000000000000000000000000000";

/// git's order of tree entries: names compared bytewise, a tree's name as if it ended in `/`.
fn git_order(a: &git2::TreeEntry<'_>, b: &git2::TreeEntry<'_>) -> std::cmp::Ordering {
    let (an, bn) = (a.name_bytes(), b.name_bytes());
    let len = an.len().min(bn.len());
    let end = |e: &git2::TreeEntry<'_>| if e.kind() == Some(ObjectType::Tree) { b'/' } else { 0 };
    an[..len].cmp(&bn[..len]).then_with(|| {
        let x = an.get(len).copied().unwrap_or_else(|| end(a));
        let y = bn.get(len).copied().unwrap_or_else(|| end(b));
        x.cmp(&y)
    })
}

fn raw_line(path: &str, old: Option<(Oid, i32)>, new: Option<(Oid, i32)>) -> Vec<u8> {
    let status = match (old, new) {
        (None, _) => 'A',
        (_, None) => 'D',
        (Some((_, a)), Some((_, b))) if (a & 0o170000) != (b & 0o170000) => 'T',
        _ => 'M',
    };
    let part = |s: Option<(Oid, i32)>| s.map_or((0, ZERO.to_string()), |(id, m)| (m, id.to_string()));
    let ((om, oid_old), (nm, oid_new)) = (part(old), part(new));
    let mut line = format!(":{om:06o} {nm:06o} {oid_old} {oid_new} {status}\0{path}\0").into_bytes();
    line.shrink_to_fit();
    line
}

/// The changed non-tree entries between two trees at `prefix`, recursively, as
/// `git diff-tree -r --raw -z --no-renames` lines in its order (a file replaced by a folder
/// is the file removed and the folder's files added). Unchanged entries cost a comparison.
pub fn diff(
    repo: &Repository,
    prefix: &str,
    old: Option<Tree<'_>>,
    new: Option<Tree<'_>>,
) -> Result<Vec<u8>, GitError> {
    let mut out = Vec::new();
    let find = |id: Option<Oid>| id.map(|id| repo.find_tree(id).map_err(error)).transpose();
    let mut stack: Vec<Step<'_>> = vec![Step::Trees(prefix.to_string(), old, new)];
    while let Some(step) = stack.pop() {
        let (base, old, new) = match step {
            Step::Line(l) => {
                out.extend_from_slice(&l);
                continue;
            }
            Step::Trees(base, a, b) => (base, a, b),
        };
        if old.as_ref().map(Tree::id) == new.as_ref().map(Tree::id) {
            continue;
        }
        if base.matches('/').count() > MAX_TREE_DEPTH {
            return Err(GitError::Parse(format!(
                "tree `{}` is nested too deep",
                base.escape_debug()
            )));
        }
        let (no, nn) = (old.as_ref().map_or(0, Tree::len), new.as_ref().map_or(0, Tree::len));
        let mut steps = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < no || j < nn {
            let a = old.as_ref().and_then(|t| t.get(i));
            let b = new.as_ref().and_then(|t| t.get(j));
            let order = match (&a, &b) {
                (Some(a), Some(b)) => git_order(a, b),
                (Some(_), None) => std::cmp::Ordering::Less,
                _ => std::cmp::Ordering::Greater,
            };
            let (a, b) = match order {
                std::cmp::Ordering::Less => (a, None),
                std::cmp::Ordering::Greater => (None, b),
                std::cmp::Ordering::Equal => (a, b),
            };
            i += usize::from(a.is_some());
            j += usize::from(b.is_some());
            let (sa, sb) = (
                a.as_ref().map(|e| (e.id(), e.filemode())),
                b.as_ref().map(|e| (e.id(), e.filemode())),
            );
            if sa == sb {
                continue;
            }
            let Some(e) = a.as_ref().or(b.as_ref()) else { break };
            let path = format!("{base}/{}", String::from_utf8_lossy(e.name_bytes()));
            if e.kind() == Some(ObjectType::Tree) {
                steps.push(Step::Trees(path, find(sa.map(|x| x.0))?, find(sb.map(|x| x.0))?));
            } else {
                steps.push(Step::Line(raw_line(&path, sa, sb)));
            }
        }
        stack.extend(steps.into_iter().rev());
    }
    Ok(out)
}
