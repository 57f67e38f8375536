#!/usr/bin/python3
"""PyTorch's CPU timings for what loom-bench measures, for a side-by-side check.

Run on the same machine as loom-bench, e.g.
    OMP_NUM_THREADS=2 /usr/bin/python3 bench/pytorch_conv_ops.py --threads 2
and compare the GFLOP/s it prints with loom-bench's Conv/* counters, and the W4 training
step's samples/s with loom-bench's Step/W4 (--step only runs that). Needs Debian's
python3-torch. Convolutions are without bias (Loom adds the bias in a separate op).
"""

import argparse
import time

import torch

CASES = [
    ("W4.conv32_3x3_28", (128, 1, 28, 28), (32, 1, 3, 3)),
    ("W4.conv64_3x3_26", (128, 32, 26, 26), (64, 32, 3, 3)),
    ("W3.conv32_3x3_96", (128, 1, 96, 96), (32, 1, 3, 3)),
    ("W3.conv64_2x2_47", (128, 32, 47, 47), (64, 32, 2, 2)),
    ("W3.conv128_2x2_23", (128, 64, 23, 23), (128, 64, 2, 2)),
]


def seconds_per_call(fn, min_time):
    fn()  # warm up: oneDNN picks and JIT-compiles its kernels on the first call
    calls, start = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time and calls >= 3:
            return elapsed / calls


def w4_step(min_time):
    """Samples/s of one W4 training step (forward, backward, Adam), batch 128."""
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(),
        torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Dropout(0.25), torch.nn.Flatten(),
        torch.nn.Linear(9216, 128), torch.nn.ReLU(), torch.nn.Dropout(0.5),
        torch.nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7)
    x = torch.rand(128, 1, 28, 28) - 0.5
    labels = torch.arange(128) % 10

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), labels)
        loss.backward()
        optimizer.step()

    t = seconds_per_call(step, min_time)
    print(f"Step/W4.adam.batch128 {t * 1e3:8.2f} ms {128 / t:8.1f} samples/s")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--min-time", type=float, default=1.0)
    parser.add_argument("--step", action="store_true", help="only the W4 training step")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"mkldnn {torch.backends.mkldnn.is_available()}")
    w4_step(args.min_time)
    if args.step:
        return
    backward = torch.ops.aten.convolution_backward
    with torch.no_grad():
        for name, xs, ws in CASES:
            x, w = torch.randn(xs), torch.randn(ws)
            y = torch.nn.functional.conv2d(x, w)
            dy = torch.randn(y.shape)
            flops = 2.0 * y.numel() * ws[1] * ws[2] * ws[3]

            def conv_backward(mask):
                return lambda: backward(dy, x, w, None, [1, 1], [0, 0], [1, 1], False, [0, 0],
                                        1, mask)

            passes = {
                "forward": lambda: torch.nn.functional.conv2d(x, w),
                "backward_data": conv_backward([True, False, False]),
                "backward_filter": conv_backward([False, True, False]),
            }
            for pass_name, fn in passes.items():
                t = seconds_per_call(fn, args.min_time)
                print(f"Conv/{name}/{pass_name:16s} {t * 1e3:8.2f} ms {flops / t / 1e9:8.1f} GFLOP/s")


if __name__ == "__main__":
    main()
