//! The thread that owns the simulated device. The board is a large value simulated with
//! deep call chains, so it lives on one thread with a big stack instead of on whatever
//! thread the host calls from; calls are closures run there one at a time.

use std::sync::mpsc::{channel, Sender};
use std::sync::{Mutex, OnceLock};

use crate::device::Device;

/// Stack of the device thread.
const DEVICE_THREAD_STACK_BYTES: usize = 512 << 20;

type Job = Box<dyn FnOnce(&mut Device) + Send>;

static JOBS: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();

fn jobs() -> &'static Mutex<Sender<Job>> {
    JOBS.get_or_init(|| {
        let (send, receive) = channel::<Job>();
        std::thread::Builder::new()
            .name("frontpanel-sim device".into())
            .stack_size(DEVICE_THREAD_STACK_BYTES)
            .spawn(move || {
                let mut device = Device::from_env();
                for job in receive {
                    job(&mut device);
                }
            })
            .expect("spawn the frontpanel-sim device thread");
        Mutex::new(send)
    })
}

/// Runs `call` on the device thread and returns its result.
pub fn on_device<R: Send + 'static>(call: impl FnOnce(&mut Device) -> R + Send + 'static) -> R {
    let (send, receive) = channel();
    let job: Job = Box::new(move |device| {
        let _ = send.send(call(device));
    });
    jobs()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .send(job)
        .expect("the frontpanel-sim device thread runs for the whole process");
    receive
        .recv()
        .expect("the frontpanel-sim device thread answers every call")
}
