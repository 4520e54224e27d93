//! Password hashing under a concurrency budget.
//!
//! An Argon2id hash or verification takes tens of MiB for a noticeable fraction of a second. Run
//! unbounded, a burst of wrong passwords grows the server by that much per request (60 parallel tries
//! once took it from 132 MiB to 1.2 GiB). Every hash therefore runs on one of `concurrency` dedicated
//! threads (the number of cores: more would not finish sooner) while holding one of as many permits.
//! Each thread keeps one Argon2 working memory (`zegel_crypto::PasswordMemory`) and reuses it: freshly
//! allocated 19 MiB blocks are not reliably given back by the allocator, so hashing on tokio's blocking
//! pool grew the process by about 19 MiB per hash. Recipients' verifications
//! may wait in a short queue behind them, and beyond it are refused at once with [`Busy`] (HTTP `429`
//! with `Retry-After`), before anything is counted. Senders creating a message wait for a permit instead
//! (they are authenticated and few), so their hashing is bounded by the same permits.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Semaphore, oneshot};
use zegel_crypto::PasswordMemory;

/// Work for a hashing thread, given the thread's Argon2 memory.
type Job = Box<dyn FnOnce(&mut PasswordMemory) + Send>;

/// The most hashes at once, however many cores: each holds 19 MiB, and password checks are a small part
/// of the work.
pub const MAX_CONCURRENCY: usize = 8;

/// The budget is full: try again shortly.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("too many password checks at once; try again in a moment")]
pub struct Busy;

/// How many password hashes run at once, and how many may wait for one.
#[derive(Debug)]
pub struct PasswordBudget {
    permits: Semaphore,
    concurrency: usize,
    /// Running plus waiting admissions that are bounded (recipients' verifications).
    admitted: AtomicUsize,
    /// The most admissions running and waiting together.
    capacity: usize,
    running: AtomicUsize,
    peak: AtomicUsize,
    /// The hashing threads take their work from here; they end when the budget is dropped.
    jobs: std::sync::Mutex<std::sync::mpsc::Sender<Job>>,
}

impl PasswordBudget {
    /// A budget of `concurrency` hashes at once and `queue` more waiting.
    pub fn new(concurrency: usize, queue: usize) -> Self {
        let concurrency = concurrency.max(1);
        let (jobs, queue_end) = std::sync::mpsc::channel::<Job>();
        let queue_end = Arc::new(std::sync::Mutex::new(queue_end));
        for n in 0..concurrency {
            let queue_end = queue_end.clone();
            std::thread::Builder::new()
                .name(format!("zegel-hash-{n}"))
                .spawn(move || {
                    let mut memory = PasswordMemory::new();
                    loop {
                        let job = match queue_end.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(&mut memory),
                            Err(_) => return,
                        }
                    }
                })
                .expect("cannot start a password hashing thread");
        }
        Self {
            permits: Semaphore::new(concurrency),
            concurrency,
            admitted: AtomicUsize::new(0),
            capacity: concurrency + queue,
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            jobs: std::sync::Mutex::new(jobs),
        }
    }

    /// One hash per core (at most [`MAX_CONCURRENCY`]), and a queue of four per hash.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let concurrency = cores.min(MAX_CONCURRENCY);
        Self::new(concurrency, 4 * concurrency)
    }

    /// How many hashes may run at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// The most hashes that ever ran at the same time (for tests and diagnostics).
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    /// A place in the queue, or [`Busy`] when it is full. Ask before counting a try, so a refusal uses
    /// up nothing.
    pub fn admit(self: &Arc<Self>) -> Result<Admission, Busy> {
        let before = self.admitted.fetch_add(1, Ordering::SeqCst);
        if before >= self.capacity {
            self.admitted.fetch_sub(1, Ordering::SeqCst);
            return Err(Busy);
        }
        Ok(Admission {
            budget: self.clone(),
            bounded: true,
        })
    }

    /// A place that waits as long as it takes (for authenticated senders).
    pub fn admit_waiting(self: &Arc<Self>) -> Admission {
        Admission {
            budget: self.clone(),
            bounded: false,
        }
    }

    /// Hashes a password someone chose or was given, waiting for a permit.
    pub async fn hash(self: &Arc<Self>, password: &str) -> anyhow::Result<String> {
        let password = password.to_owned();
        self.admit_waiting()
            .run(move |memory| memory.hash(&password))
            .await
    }
}

/// An admitted hash: holds its place until dropped.
#[derive(Debug)]
pub struct Admission {
    budget: Arc<PasswordBudget>,
    bounded: bool,
}

impl Admission {
    /// Runs `work` on a hashing thread, with that thread's Argon2 memory, once a permit is free.
    pub async fn run<T: Send + 'static>(
        self,
        work: impl FnOnce(&mut PasswordMemory) -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let _permit = self.budget.permits.acquire().await?;
        let running = self.budget.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.budget.peak.fetch_max(running, Ordering::SeqCst);
        let (done, result) = oneshot::channel();
        let sent = self
            .budget
            .jobs
            .lock()
            .map_err(|_| anyhow::anyhow!("the hashing threads are gone"))?
            .send(Box::new(move |memory: &mut PasswordMemory| {
                let _ = done.send(work(memory));
            }));
        let result = match sent {
            Ok(()) => result
                .await
                .map_err(|_| anyhow::anyhow!("a hashing thread failed")),
            Err(_) => Err(anyhow::anyhow!("the hashing threads are gone")),
        };
        self.budget.running.fetch_sub(1, Ordering::SeqCst);
        result
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        if self.bounded {
            self.budget.admitted.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_budget_bounds_running_and_waiting_hashes() {
        let budget = Arc::new(PasswordBudget::new(2, 3));
        // Two may run and three wait: the sixth is refused while they hold their places.
        let admitted: Vec<Admission> = (0..5).map(|_| budget.admit().unwrap()).collect();
        assert!(budget.admit().is_err());
        let tasks: Vec<_> = admitted
            .into_iter()
            .map(|admission| {
                tokio::spawn(admission.run(|memory| memory.hash("correct horse battery staple")))
            })
            .collect();
        for task in tasks {
            assert!(task.await.unwrap().unwrap().starts_with("$argon2id$"));
        }
        assert!((1..=2).contains(&budget.peak()), "peak {}", budget.peak());
        // Everything admitted has left: there is room again.
        assert!(budget.admit().is_ok());
    }
}
