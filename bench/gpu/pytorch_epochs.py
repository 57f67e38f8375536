#!/usr/bin/env python3
"""Times training epochs of the tutorial networks W1-W4 in PyTorch eager on a CUDA GPU, with the
shapes, batch sizes, optimizers and sample counts that bench/gpu/run.sh gives `loom-cli bench`,
so that the two can be compared in one run. Random data (float32) lives on the GPU and is
reshuffled every epoch; the first epoch is a warm-up and not timed; the median of the timed
epochs is reported. TF32 follows PyTorch's defaults (off for matmul, on for cuDNN convolution),
which are Loom's; cudnn.benchmark is on (PyTorch's fastest eager setting for fixed shapes).

Prints one line per workload:
    name batch samples median_seconds_per_epoch train_flops_per_epoch
"""

import argparse
import statistics
import time

import torch
import torch.nn as nn


def w1():
    return nn.Sequential(nn.Linear(784, 10)), (784,), 32, 60000, 10, "sgd"


def w2():
    # The dogs-vs-cats MLP (examples/w2_mlp.json): 32x32x3 flattened, two classes.
    model = nn.Sequential(nn.Linear(3072, 768), nn.ReLU(), nn.Linear(768, 384), nn.ReLU(),
                          nn.Linear(384, 2))
    return model, (3072,), 128, 18750, 2, "sgd"


def w3():
    # The nolearn CNN at 1x96x96 (bench/gpu/w3_nolearn_cnn_96.json).
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(64, 128, 2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(128 * 11 * 11, 5000), nn.ReLU(), nn.Linear(5000, 5000),
                          nn.ReLU(), nn.Linear(5000, 10))
    return model, (1, 96, 96), 128, 2048, 10, "nesterov"


def w4():
    # Keras' Fashion-MNIST CNN (examples/w4_cnn.json).
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
                          nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))
    return model, (1, 28, 28), 128, 60000, 10, "adam"


WORKLOADS = {"W1": w1, "W2": w2, "W3": w3, "W4": w4}


def optimizer_for(kind, params):
    # Keras' hyperparameters, as the example models use them.
    if kind == "sgd":
        return torch.optim.SGD(params, lr=0.01)
    if kind == "nesterov":
        return torch.optim.SGD(params, lr=0.01, momentum=0.9, nesterov=True)
    return torch.optim.Adam(params, lr=0.001, eps=1e-7)


def training_flops(model, shape, samples):
    """Multiply-adds of the forward pass x 2 flops x 3 (forward, backward data, backward
    weights), counted for Linear and Conv2d layers: the arithmetic floor's numerator."""
    flops = 0
    x = torch.zeros((1,) + shape)
    for layer in model:
        y = layer(x)
        if isinstance(layer, nn.Linear):
            flops += 2 * layer.in_features * layer.out_features
        elif isinstance(layer, nn.Conv2d):
            k = layer.kernel_size[0] * layer.kernel_size[1] * layer.in_channels
            flops += 2 * k * y.numel()
        x = y
    return 3 * flops * samples


def time_workload(name, epochs, device):
    model, shape, batch, samples, classes, kind = WORKLOADS[name]()
    flops = training_flops(model, shape, samples)
    model = model.to(device).train()
    optimizer = optimizer_for(kind, model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    x_all = torch.rand((samples,) + shape, device=device)
    y_all = torch.arange(samples, device=device) % classes

    def epoch():
        order = torch.randperm(samples, device=device)
        for begin in range(0, samples, batch):
            index = order[begin:begin + batch]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x_all[index]), y_all[index])
            loss.backward()
            optimizer.step()
        torch.cuda.synchronize()

    epoch()  # warm-up: cuDNN's benchmark, allocator growth, lazy module loading
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        epoch()
        times.append(time.perf_counter() - start)
    print(f"{name} {batch} {samples} {statistics.median(times):.5f} {flops}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs (median reported)")
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("PyTorch sees no CUDA GPU")
    torch.backends.cudnn.benchmark = True
    for name in args.workloads:
        time_workload(name, args.epochs, torch.device("cuda"))


if __name__ == "__main__":
    main()
