//! The full recompute: every user's seat from many logins at once, on both
//! cores.
//!
//! Finding whose each login is, and putting it with that user's other logins,
//! are lookups and writes at random places among 100,000 users: each one a
//! wait on memory when done login by login. So the logins are first sorted
//! into parts by their user's hash, writing to a hundred or so places that
//! stay in the core's cache, and then each part, a few hundred users, is
//! numbered and laid out on its own, within the cache.
//!
//! The logins come from one iterator, which only one thread can read, and
//! reading them is the slower half of the work: the reading thread only cuts
//! them into blocks as read and hands each to a helper thread, which places
//! each login in its term and sorts it into parts. The reader sorts a block
//! itself only when the helper has a few waiting. Then both threads take
//! parts, one at a time, until none is left.

use std::hash::BuildHasher;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use chrono::{DateTime, Utc};
use hashbrown::hash_table::Entry;
use hashbrown::{DefaultHashBuilder, HashTable};

use crate::ledger::{Term, UserSeat, activations, term_index};
use crate::rule::SeatRule;

/// Logins handed between the threads at a time: large enough that handing
/// them over costs nothing next to sorting them, small enough that the two
/// threads finish together.
const BLOCK: usize = 8192;

/// Blocks handed to the helper that it has not begun sorting, at most.
const WAITING_BLOCKS: usize = 4;

/// Parts the users are sorted into by hash. A part of a year's logins of
/// 100,000 users (about 150,000 logins of 800 users) then fits in a core's
/// cache, and the parts being filled take one cache line each.
const PARTS: usize = 128;

/// Every user of `logins` with their seat, in no particular order. Logins
/// outside every term are dropped.
pub(crate) fn seats_from_logins<'a>(
    terms: &[Term],
    week_starts: &[i64],
    rule: SeatRule,
    logins: impl IntoIterator<Item = (&'a str, DateTime<Utc>)>,
) -> Vec<(&'a str, UserSeat)> {
    // One hasher for both threads, so that a name has one hash and one part.
    let hasher = DefaultHashBuilder::default();
    let (own, helper) = sort_on_two_threads(&hasher, terms, logins);
    // Parts are taken one at a time, so that a thread the machine runs less
    // of takes fewer; each is freed once done with, for the users' logins to
    // take its memory.
    let parts = Mutex::new(own.into_iter().zip(helper));
    let seats_of_parts = || {
        let mut users = Numbering::new(&hasher);
        let mut seats = Vec::new();
        loop {
            let next = parts.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).next();
            let Some((own, helper)) = next else {
                return seats;
            };
            users.seats_of_part(&own, &helper, terms, week_starts, rule, &mut seats);
        }
    };
    std::thread::scope(|scope| {
        let helper = scope.spawn(seats_of_parts);
        let mut seats = seats_of_parts();
        seats.extend(helper.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        seats
    })
}

/// A login: its user's name and its instant in microseconds.
type Login<'a> = (&'a str, i64);

/// The logins of one part, in chunks of [`CHUNK`]: a part grows without being
/// copied, and takes no memory it does not fill.
type Part<'a> = Vec<Vec<Login<'a>>>;

/// Logins in a chunk of a part (96 KiB).
const CHUNK: usize = 4096;

/// A login as read: its user's name and its instant.
type ReadLogin<'a> = (&'a str, DateTime<Utc>);

/// One thread's logins, by part.
struct Parts<'a, 'h> {
    hasher: &'h DefaultHashBuilder,
    terms: &'h [Term],
    parts: Vec<Part<'a>>,
}

impl<'a, 'h> Parts<'a, 'h> {
    fn new(hasher: &'h DefaultHashBuilder, terms: &'h [Term]) -> Parts<'a, 'h> {
        Parts { hasher, terms, parts: (0..PARTS).map(|_| Vec::new()).collect() }
    }

    /// Sorts a block of logins as read into parts, leaving out those outside
    /// every term. The reading thread only reads: it is the one that cannot
    /// be shared.
    fn sort(&mut self, block: &[ReadLogin<'a>]) {
        for &(user, at) in block {
            let at_us = at.timestamp_micros();
            if term_index(self.terms, at_us).is_none() {
                continue;
            }
            let login = (user, at_us);
            let part = &mut self.parts[part(self.hasher.hash_one(login.0))];
            match part.last_mut() {
                Some(chunk) if chunk.len() < CHUNK => chunk.push(login),
                _ => {
                    let mut chunk = Vec::with_capacity(CHUNK);
                    chunk.push(login);
                    part.push(chunk);
                }
            }
        }
    }
}

/// The part of the user whose name hashes to `hash`: its top seven bits, as
/// PARTS is 2⁷. hashbrown places an entry by the lowest bits, so each part's
/// users still spread over their own table.
fn part(hash: u64) -> usize {
    (hash >> 57) as usize
}

/// Reads `logins` on this thread, sorting each block of them into parts here
/// or on a helper thread, whichever is free: this thread's parts and the
/// helper's.
fn sort_on_two_threads<'a, 'h>(
    hasher: &'h DefaultHashBuilder,
    terms: &[Term],
    logins: impl IntoIterator<Item = (&'a str, DateTime<Utc>)>,
) -> (Vec<Part<'a>>, Vec<Part<'a>>) {
    // Blocks waiting while the helper sorts another: enough that a helper
    // held up for a moment (by another process on its core) finds work when it
    // comes back, without the reader sorting; a block read while all are
    // taken is sorted here.
    let (to_helper, blocks) = sync_channel::<Vec<ReadLogin<'a>>>(WAITING_BLOCKS);
    let (to_reader, emptied) = sync_channel::<Vec<ReadLogin<'a>>>(WAITING_BLOCKS);
    std::thread::scope(|scope| {
        let helper = scope.spawn(move || sort_blocks(Parts::new(hasher, terms), blocks, to_reader));
        let mut own = Parts::new(hasher, terms);
        let mut block = Vec::with_capacity(BLOCK);
        for login in logins {
            block.push(login);
            if block.len() == BLOCK {
                block = hand_over(block, &to_helper, &emptied, &mut own);
            }
        }
        own.sort(&block);
        drop(to_helper);
        let helper = helper.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (own.parts, helper.parts)
    })
}

/// Gives a full block to the helper if it has room, or sorts it here; the
/// block to fill next.
fn hand_over<'a>(
    block: Vec<ReadLogin<'a>>,
    to_helper: &SyncSender<Vec<ReadLogin<'a>>>,
    emptied: &Receiver<Vec<ReadLogin<'a>>>,
    own: &mut Parts<'a, '_>,
) -> Vec<ReadLogin<'a>> {
    match to_helper.try_send(block) {
        Ok(()) => emptied.try_recv().unwrap_or_else(|_| Vec::with_capacity(BLOCK)),
        // A helper that has stopped (it panicked, which `join` passes on) takes
        // no more blocks: sort them here.
        Err(TrySendError::Full(mut block) | TrySendError::Disconnected(mut block)) => {
            own.sort(&block);
            block.clear();
            block
        }
    }
}

/// The helper: sorts every block it is given, handing each back emptied.
fn sort_blocks<'a, 'h>(
    mut parts: Parts<'a, 'h>,
    blocks: Receiver<Vec<ReadLogin<'a>>>,
    to_reader: SyncSender<Vec<ReadLogin<'a>>>,
) -> Parts<'a, 'h> {
    for mut block in blocks {
        parts.sort(&block);
        block.clear();
        // The reader has enough spare blocks when this fails; it makes more.
        let _ = to_reader.try_send(block);
    }
    parts
}

/// Numbers the users of one part after another, keeping its tables' room.
struct Numbering<'h> {
    hasher: &'h DefaultHashBuilder,
    /// The part's users' numbers, in the order met.
    numbers: HashTable<u32>,
    /// Each login's user.
    users: Vec<u32>,
}

impl<'h> Numbering<'h> {
    fn new(hasher: &'h DefaultHashBuilder) -> Numbering<'h> {
        Numbering { hasher, numbers: HashTable::new(), users: Vec::new() }
    }

    /// Adds to `seats` the users of one part, as both threads sorted it.
    fn seats_of_part<'a>(
        &mut self,
        own: &[Vec<Login<'a>>],
        helper: &[Vec<Login<'a>>],
        terms: &[Term],
        week_starts: &[i64],
        rule: SeatRule,
        seats: &mut Vec<(&'a str, UserSeat)>,
    ) {
        let hasher = self.hasher;
        let mut names: Vec<&'a str> = Vec::new();
        let mut counts: Vec<u32> = Vec::new();
        self.numbers.clear();
        self.users.clear();
        // The part's names stay in the cache while it is numbered: hashing
        // them again costs less than having kept their hashes.
        for (user, _) in own.iter().chain(helper).flatten() {
            let entry = self.numbers.entry(
                hasher.hash_one(user),
                |number| same_name(names[*number as usize], user),
                |number| hasher.hash_one(names[*number as usize]),
            );
            let number = match entry {
                Entry::Occupied(known) => *known.get(),
                Entry::Vacant(vacant) => {
                    let number = names.len() as u32;
                    names.push(user);
                    counts.push(0);
                    vacant.insert(number);
                    number
                }
            };
            counts[number as usize] += 1;
            self.users.push(number);
        }
        let mut laid_out: Vec<UserSeat> = counts
            .iter()
            .map(|count| UserSeat {
                logins: Vec::with_capacity(*count as usize),
                ..UserSeat::default()
            })
            .collect();
        for ((_, at_us), user) in own.iter().chain(helper).flatten().zip(&self.users) {
            laid_out[*user as usize].logins.push(*at_us);
        }
        seats.reserve(names.len());
        for (name, mut seat) in names.into_iter().zip(laid_out) {
            // Each thread sorted its logins into parts in the order it read
            // them: a user's logins are two runs, in order if the input was,
            // which a merging sort joins in one pass.
            seat.logins.sort();
            seat.activations = activations(terms, week_starts, rule, &seat);
            seats.push((name, seat));
        }
    }
}

/// Whether two names are the same. Callers that read each user's name once
/// (from a table of users, as a store's rows are) hand out the same slice for
/// every login of that user: comparing the slices first spares comparing
/// their bytes.
fn same_name(known: &str, user: &str) -> bool {
    std::ptr::eq(known, user) || known == user
}
