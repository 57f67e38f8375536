#!/usr/bin/python3
"""Times training steps of the tutorial networks in PyTorch on the CPU, on synthetic data of
the same shapes, batch sizes and thread count that `loom-cli bench` uses, so the two can be
compared in one run (bench/compare_pytorch.sh). Prints one line per model:
name batch steps ms_per_step samples_per_s"""

import sys
import time

import torch
import torch.nn as nn


def w1():
    return nn.Sequential(nn.Linear(784, 10)), (784,), 32, "sgd"


def w2():
    return (nn.Sequential(nn.Linear(784, 768), nn.ReLU(), nn.Linear(768, 384), nn.ReLU(),
                          nn.Linear(384, 10)), (784,), 128, "rmsprop")


def w4():
    return (nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
                          nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10)),
            (1, 28, 28), 128, "adam")


MODELS = {"w1_softmax": w1, "w2_mlp_fashion": w2, "w4_cnn": w4}


def optimizer_for(kind, params):
    # Keras' defaults, as Loom uses them.
    if kind == "sgd":
        return torch.optim.SGD(params, lr=0.01)
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=0.001, alpha=0.9, eps=1e-7)
    return torch.optim.Adam(params, lr=0.001, eps=1e-7)


def bench(name, steps):
    model, shape, batch, kind = MODELS[name]()
    optimizer = optimizer_for(kind, model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    samples = torch.rand((steps * batch,) + shape)
    labels = torch.arange(steps * batch) % 10
    model.train()

    def run(count):
        for i in range(count):
            x = samples[i * batch:(i + 1) * batch]
            y = labels[i * batch:(i + 1) * batch]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()

    run(min(5, steps))
    start = time.perf_counter()
    run(steps)
    seconds = time.perf_counter() - start
    print(f"{name} {batch} {steps} {1000 * seconds / steps:.3f} {steps * batch / seconds:.0f}")


def main():
    threads = int(sys.argv[1])
    steps = int(sys.argv[2])
    torch.set_num_threads(threads)
    for name in sys.argv[3:]:
        bench(name, steps)


if __name__ == "__main__":
    main()
