#!/usr/bin/env node
// Fetches nsfwjs@4.4.0 (MIT, © Infinite Red) with `npm pack` and writes its bundled Keras
// InceptionV3 and MobileNetV2 back out as standard TF.js layers models, which Loom imports:
//
//   node examples/fetch_pretrained.js [FOLDER]
//
// FOLDER defaults to ${XDG_DATA_HOME:-~/.local/share}/loom/pretrained and gets
// inception_v3/ and mobilenet_v2/, each a model.json and its group1-shard*.bin files.
//
// nsfwjs ships each model as browserify bundles: requiring dist/models/<m>/model.min.js gives
// {modelTopology, weightsManifest}, and requiring group1-shardNofM.min.js gives one base64
// string whose bytes are the shard the manifest names (nsfwjs' own loader does the same).
// Needs node and npm (Debian's nodejs and npm packages are enough), nothing else.
'use strict';

const childProcess = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const PACKAGE = 'nsfwjs@4.4.0';
const MODELS = ['inception_v3', 'mobilenet_v2'];
const DTYPE_BYTES = {
    float32: 4,
    int32: 4,
    uint8: 1,
    uint16: 2,
    float16: 2
};

function defaultFolder() {
    const data = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
    return path.join(data, 'loom', 'pretrained');
}

// The bytes a weight group's shards must hold, from its manifest entries.
function manifestBytes(group) {
    return group.weights.reduce((total, w) => {
        const dtype = w.quantization ? w.quantization.dtype : w.dtype;
        return total + w.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
    }, 0);
}

function convert(bundleDir, outDir) {
    const {modelTopology, weightsManifest} = require(path.join(bundleDir, 'model.min.js'));
    fs.mkdirSync(outDir, {recursive: true});
    const manifest = weightsManifest.map((group) => {
        const paths = group.paths.map((shard) => {
            const bytes = Buffer.from(require(path.join(bundleDir, shard + '.min.js')), 'base64');
            fs.writeFileSync(path.join(outDir, shard + '.bin'), bytes);
            return {name: shard + '.bin', size: bytes.length};
        });
        const written = paths.reduce((total, p) => total + p.size, 0);
        if (written !== manifestBytes(group)) {
            throw new Error(
                `${bundleDir}: shards hold ${written} bytes, the manifest ${manifestBytes(group)}`);
        }
        return {paths: paths.map((p) => p.name), weights: group.weights};
    });
    const model = {
        format: 'layers-model',
        generatedBy: `keras v${modelTopology.keras_version}`,
        convertedBy: `Loom examples/fetch_pretrained.js from ${PACKAGE}`,
        modelTopology,
        weightsManifest: manifest,
    };
    fs.writeFileSync(path.join(outDir, 'model.json'), JSON.stringify(model));
}

function main() {
    const outRoot = path.resolve(process.argv[2] || defaultFolder());
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-nsfwjs-'));
    try {
        const run = (cmd, args) =>
            childProcess.execFileSync(cmd, args, {cwd: work, encoding: 'utf8'});
        const tarball = run('npm', ['pack', PACKAGE, '--silent']).trim().split('\n').pop();
        run('tar', ['xzf', tarball]);
        for (const name of MODELS) {
            convert(path.join(work, 'package', 'dist', 'models', name), path.join(outRoot, name));
            console.log(`wrote ${path.join(outRoot, name, 'model.json')}`);
        }
    } finally {
        fs.rmSync(work, {recursive: true, force: true});
    }
}

main();
