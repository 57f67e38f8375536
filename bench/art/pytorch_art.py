#!/usr/bin/python3
"""The art workloads of `loom-cli bench-art` in PyTorch, same shapes and formulas, so the two can
be compared in one run (bench/art/compare_pytorch.sh):

  style   one loss + gradient of style transfer through VGG16's feature stack (random weights,
          built from the same Loom JSON, bench/art/vgg16_features.json, up to block5_conv2):
          content mean squared error at block5_conv2, Gram-matrix style loss / (4 C^2 M^2) at
          block1..5_conv1, total variation; a size x size picture
  dream   one deep-dream step on InceptionV3 up to mixed5 (built from the fetched model.json's
          Keras topology, random weights: timing does not depend on them): the loss on mixed2..5
          without a 2-cell border, its gradient, and the normalised update

Prints `name ms` lines (the median of --repeat timed runs after two untimed ones).
usage: pytorch_art.py [--style-size N] [--dream-size N] [--repeat N] [--threads N]
                      [--device cpu|cuda] [--vgg16 JSON] [--inception MODEL_JSON]"""

import argparse
import json
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def same_padding(kernel):
    assert all(k % 2 == 1 for k in kernel), "stride-1 'same' needs odd kernels here"
    return tuple(k // 2 for k in kernel)


class KerasGraph(nn.Module):
    """A Keras functional topology (or a Loom graph) run in order up to `outputs`."""

    def __init__(self, nodes, outputs):
        super().__init__()
        needed, stack = set(), list(outputs)
        by_name = {n["name"]: n for n in nodes}
        while stack:
            name = stack.pop()
            if name not in needed:
                needed.add(name)
                stack.extend(by_name[name]["inputs"])
        self.nodes = [n for n in nodes if n["name"] in needed]
        self.outputs = outputs
        self.ops = nn.ModuleDict()
        self.kinds = {}
        for n in self.nodes:
            self.kinds[n["name"]] = n["kind"]
            if n["kind"] == "conv":
                self.ops[n["name"]] = nn.Conv2d(n["in"], n["filters"], n["kernel"], n["stride"],
                                                n["padding"], bias=n["bias"])
            elif n["kind"] == "bn":
                bn = nn.BatchNorm2d(n["in"], eps=n["eps"], affine=True)
                bn.weight.requires_grad_(False)
                self.ops[n["name"]] = bn

    def forward(self, x):
        values = {}
        for n in self.nodes:
            kind, name = n["kind"], n["name"]
            inputs = [values[i] for i in n["inputs"]]
            if kind == "input":
                y = x
            elif kind in ("conv", "bn"):
                y = self.ops[name](inputs[0])
            elif kind == "relu":
                y = F.relu(inputs[0])
            elif kind == "maxpool":
                y = F.max_pool2d(inputs[0], n["pool"], n["stride"], n["padding"])
            elif kind == "avgpool":
                y = F.avg_pool2d(inputs[0], n["pool"], n["stride"], n["padding"],
                                 count_include_pad=False)
            elif kind == "concat":
                y = torch.cat(inputs, 1)
            if n.get("relu"):
                y = F.relu(y)
            values[name] = y
        return [values[o] for o in self.outputs]


def vgg16_nodes(path):
    nodes, channels = [], {}
    for layer in json.load(open(path))["layers"]:
        p, name, inputs = layer.get("params", {}), layer["name"], layer.get("inputs", [])
        if layer["type"] == "Input":
            nodes.append({"name": name, "kind": "input", "inputs": []})
            channels[name] = p["shape"][0]
        elif layer["type"] == "Conv2D":
            k = tuple(p["kernel_size"])
            nodes.append({"name": name, "kind": "conv", "inputs": inputs, "in": channels[inputs[0]],
                          "filters": p["filters"], "kernel": k, "stride": 1,
                          "padding": same_padding(k), "bias": True,
                          "relu": p.get("activation") == "relu"})
            channels[name] = p["filters"]
        elif layer["type"] == "MaxPool2D":
            nodes.append({"name": name, "kind": "maxpool", "inputs": inputs, "pool": 2,
                          "stride": 2, "padding": 0})
            channels[name] = channels[inputs[0]]
    return nodes


def inception_nodes(path):
    layers = json.load(open(path))["modelTopology"]["model_config"]["config"]["layers"]
    nodes, channels = [], {}
    for layer in layers:
        c, name, kind = layer["config"], layer["name"], layer["class_name"]
        inputs = [i[0] for i in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
        node = {"name": name, "inputs": inputs}
        if kind == "InputLayer":
            node["kind"] = "input"
            channels[name] = 3
        elif kind == "Conv2D":
            k, s = tuple(c["kernel_size"]), tuple(c["strides"])
            pad = same_padding(k) if c["padding"] == "same" else 0
            assert c["padding"] == "valid" or s == (1, 1)
            node.update(kind="conv", **{"in": channels[inputs[0]]}, filters=c["filters"],
                        kernel=k, stride=s, padding=pad, bias=c["use_bias"])
            channels[name] = c["filters"]
        elif kind == "BatchNormalization":
            node.update(kind="bn", eps=c["epsilon"], **{"in": channels[inputs[0]]})
            channels[name] = channels[inputs[0]]
        elif kind == "Activation":
            assert c["activation"] == "relu"
            node["kind"] = "relu"
            channels[name] = channels[inputs[0]]
        elif kind in ("MaxPooling2D", "AveragePooling2D"):
            pool, s = tuple(c["pool_size"]), tuple(c["strides"])
            pad = same_padding(pool) if c["padding"] == "same" else 0
            node.update(kind="maxpool" if kind == "MaxPooling2D" else "avgpool", pool=pool,
                        stride=s, padding=pad)
            channels[name] = channels[inputs[0]]
        elif kind == "Concatenate":
            node["kind"] = "concat"
            channels[name] = sum(channels[i] for i in inputs)
        else:
            continue  # the head (Flatten, Dense, ...) lies past mixed5
        nodes.append(node)
    return nodes


def gram(a):
    f = a.reshape(a.shape[1], -1)
    return f @ f.t()


def style_workload(args, device):
    net = KerasGraph(vgg16_nodes(args.vgg16), ["block5_conv2"] +
                     [f"block{b}_conv1" for b in range(1, 6)]).to(device).eval()
    for p in net.parameters():
        p.requires_grad_(False)
    size = args.style_size
    content = torch.rand(1, 3, size, size, device=device) * 255 - 120
    style = torch.rand(1, 3, size, size, device=device) * 255 - 120
    with torch.no_grad():
        outs = net(content)
        target = outs[0].clone()
        grams = [gram(a) for a in net(style)[1:]]
    x = content.clone().requires_grad_(True)
    unit = 1 / 255

    def step():
        x.grad = None
        outs = net(x)
        loss = 0.025 * F.mse_loss(outs[0], target, reduction="mean")
        for a, g in zip(outs[1:], grams):
            c, m = a.shape[1], a.shape[2] * a.shape[3]
            loss = loss + (1.0 / 5) * ((gram(a) - g) ** 2).sum() / (4.0 * c * c * m * m)
        d = x[:, :, :-1, :-1] - x[:, :, 1:, :-1]
        r = x[:, :, :-1, :-1] - x[:, :, :-1, 1:]
        loss = loss + 1.0 * (((d * unit) ** 2 + (r * unit) ** 2) ** 1.25).mean()
        loss.backward()
        return loss.item()

    return step


def dream_workload(args, device):
    layers = {"mixed2": 0.2, "mixed3": 0.5, "mixed4": 2.0, "mixed5": 1.5}
    net = KerasGraph(inception_nodes(args.inception), list(layers)).to(device).eval()
    for p in net.parameters():
        p.requires_grad_(False)
    size = args.dream_size
    x = (torch.rand(1, 3, size, size, device=device) * 2 - 1).requires_grad_(True)

    def step():
        x.grad = None
        loss = 0
        for a, w in zip(net(x), layers.values()):
            loss = loss + w * (a[:, :, 2:-2, 2:-2] ** 2).sum() / a.numel()
        loss.backward()
        with torch.no_grad():
            g = x.grad
            x.add_(0.01 * g / g.abs().mean().clamp(min=1e-7))
        return loss.item()

    return step


def median_ms(step, repeat, device):
    for _ in range(2):
        step()
    times = []
    for _ in range(repeat):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        step()  # .item() waits for the device
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)[len(times) // 2]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    data = os.environ.get("XDG_DATA_HOME", os.path.expanduser("~/.local/share"))
    pretrained = os.environ.get("LOOM_PRETRAINED_DIR", os.path.join(data, "loom/pretrained"))
    parser = argparse.ArgumentParser()
    parser.add_argument("--style-size", type=int, default=512)
    parser.add_argument("--dream-size", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--vgg16", default=os.path.join(here, "vgg16_features.json"))
    parser.add_argument("--inception",
                        default=os.path.join(pretrained, "inception_v3/model.json"))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    print(f"torch {torch.__version__} on {device}, {torch.get_num_threads()} threads, "
          f"TF32 conv {torch.backends.cudnn.allow_tf32} matmul "
          f"{torch.backends.cuda.matmul.allow_tf32}", flush=True)
    style = median_ms(style_workload(args, device), args.repeat, device)
    print(f"style_vgg16_{args.style_size} {style:.2f}", flush=True)
    dream = median_ms(dream_workload(args, device), args.repeat, device)
    print(f"dream_inception_v3_mixed5_{args.dream_size} {dream:.2f}", flush=True)


if __name__ == "__main__":
    main()
