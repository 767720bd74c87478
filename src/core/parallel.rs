//! Work shared among threads without changing its result: items mapped in contiguous chunks
//! on scoped threads, the results kept in the items' order. Pure: the thread count is the
//! caller's (the adapters know the machine).

/// `f` of each item and its place, in order, as contiguous chunks shared among `workers`
/// scoped threads (one thread, or few items: one chunk, in this thread). A panic in a worker
/// is carried on.
pub fn map_chunks<T: Sync, R: Send>(items: &[T], workers: usize, f: impl Fn(usize, &T) -> R + Sync) -> Vec<Vec<R>> {
    const AT_LEAST: usize = 512;
    let workers = workers.clamp(1, 16).min(items.len().div_ceil(AT_LEAST).max(1));
    let size = items.len().div_ceil(workers).max(1);
    let run = |(n, chunk): (usize, &[T])| -> Vec<R> {
        chunk
            .iter()
            .enumerate()
            .map(|(i, item)| f(n * size + i, item))
            .collect()
    };
    if workers == 1 {
        return vec![run((0, items))];
    }
    let run = &run;
    std::thread::scope(|scope| {
        let chunks: Vec<_> = items
            .chunks(size)
            .enumerate()
            .map(|part| scope.spawn(move || run(part)))
            .collect();
        chunks
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_mapped_once_in_order_with_its_place_on_any_number_of_threads() {
        for n in [0, 1, 511, 512, 513, 2000, 4099] {
            let items: Vec<u64> = (0..n as u64).map(|i| i * 7).collect();
            let want: Vec<(usize, u64)> = items.iter().enumerate().map(|(i, v)| (i, v + 1)).collect();
            for workers in [0, 1, 2, 3, 8, 64] {
                let got: Vec<(usize, u64)> = map_chunks(&items, workers, |i, v| (i, v + 1))
                    .into_iter()
                    .flatten()
                    .collect();
                assert_eq!(got, want, "{n} items on {workers} threads");
            }
        }
    }
}
