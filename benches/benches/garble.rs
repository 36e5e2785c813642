//! Half-gates garbling and evaluation (mpc-garble), in AND gates per second on one
//! core: a wide layer of independent ANDs, a dependent chain (one AND per batch), the
//! published AES-128 Bristol circuit (file order and level-scheduled), and rayon
//! scaling over independent instances and over wide levels. The one-core rows use a
//! `SlotPlan::compiled` computed once outside the timed loop, as `mpc bench` does (one
//! circuit garbled many times); the `with plan` rows include building the plan, the
//! cost a single garbling of a fresh circuit pays.
//! Run: `cargo bench -p mpc-benches --bench garble -- --warm-up-time 1 --measurement-time 3`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mpc_circuits::Circuit;
use mpc_crypto::Delta;
use mpc_garble::{garble_many, perf, CountingSink, Evaluator, GarbleJob, Garbler, SlotPlan};

const AES_128: &str = include_str!("../../runtime/garble/tests/vectors/aes_128.txt");

fn garble_once(c: &Circuit, delta: &Delta, zero: &[mpc_crypto::Block], par: bool, plan: Option<&SlotPlan>) {
    let mut sink = CountingSink::default();
    let g = Garbler::new(c, delta, zero.to_vec(), 0).unwrap().with_parallel_levels(par);
    let mut g = match plan {
        Some(p) => g.with_plan(p),
        None => g,
    };
    g.garble(&mut sink).unwrap();
}

fn one_core(c: &mut Criterion) {
    let aes = mpc_circuits::bristol::read(AES_128).unwrap();
    let workloads = [
        ("wide layer 2^16", perf::wide_layer(1 << 16)),
        ("chain 2^14", perf::and_chain(1 << 14)),
        ("aes128 file order", aes.clone()),
        ("aes128 level order", mpc_circuits::passes::schedule_levels(&aes)),
    ];
    let mut g = c.benchmark_group("garble_one_core");
    for (name, circ) in &workloads {
        let (delta, zero) = perf::setup(circ);
        let plan = SlotPlan::compiled(circ);
        g.throughput(Throughput::Elements(circ.and_count() as u64));
        g.bench_function(BenchmarkId::new("garble", name), |b| {
            b.iter(|| garble_once(circ, &delta, &zero, false, Some(&plan)))
        });
        let mut tables = Vec::new();
        Garbler::new(circ, &delta, zero.clone(), 0).unwrap().garble(&mut tables).unwrap();
        g.bench_function(BenchmarkId::new("evaluate", name), |b| {
            b.iter(|| {
                let mut src: &[u8] = &tables;
                Evaluator::new(circ, zero.clone(), 0).unwrap().with_plan(&plan).evaluate(&mut src).unwrap()
            })
        });
        if name.starts_with("aes128") {
            g.bench_function(BenchmarkId::new("garble with plan", name), |b| {
                b.iter(|| garble_once(circ, &delta, &zero, false, None))
            });
        }
    }
    g.finish();
}

fn rayon_scaling(c: &mut Criterion) {
    let aes = mpc_circuits::passes::schedule_levels(&mpc_circuits::bristol::read(AES_128).unwrap());
    let wide = perf::wide_layer(1 << 18);
    let mut g = c.benchmark_group("garble_rayon");
    g.sample_size(10);
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let instances = 16;
        g.throughput(Throughput::Elements((instances * aes.and_count()) as u64));
        g.bench_function(BenchmarkId::new("aes128 x16 instances", threads), |b| {
            b.iter(|| {
                let jobs = (0..instances)
                    .map(|i| {
                        let (delta, zero) = perf::setup(&aes);
                        GarbleJob {
                            delta,
                            input_zero_labels: zero,
                            tweak_base: i as u64 * mpc_garble::tweaks_used(&aes),
                        }
                    })
                    .collect();
                pool.install(|| garble_many(&aes, jobs))
            })
        });
        let (delta, zero) = perf::setup(&wide);
        let plan = SlotPlan::compiled(&wide);
        g.throughput(Throughput::Elements(wide.and_count() as u64));
        g.bench_function(BenchmarkId::new("wide layer 2^18, parallel levels", threads), |b| {
            b.iter(|| pool.install(|| garble_once(&wide, &delta, &zero, true, Some(&plan))))
        });
    }
    g.finish();
}

criterion_group!(benches, one_core, rayon_scaling);
criterion_main!(benches);
