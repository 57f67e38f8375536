#pragma once
/// Keras model files: the HDF5 files every Keras version's model.save('x.h5') and
/// save_weights('w.h5') wrote, Keras 3's .keras archives, and Keras 2 HDF5 export.
///
/// Import reads Keras 1.x (Convolution2D, 'th' OIHW kernels, Theano's flipped kernels), Keras
/// 2.x and tf.keras (HWIO kernels, weights under any name scope), and Keras 3's legacy .h5
/// (variable-length strings, top_level_model_weights), Sequential and functional. Weights are
/// taken in the order of each layer group's weight_names; a channels_last model becomes Loom's
/// channels-first graph computing the same function (see KerasModel.h). Every size is checked
/// against what the file holds before anything is allocated; a broken file, a layer Loom does
/// not have (Lambda, custom layers) or a mismatched weight throws IoError naming the file and
/// what is wrong.

#include <loom/KerasModel.h>
#include <loom/Optimizer.h>
#include <loom/TrainingConfig.h>

#include <string>

namespace loom {

/// A whole-model HDF5 file (root attribute model_config, weights in /model_weights). The
/// graph comes back built with the file's weights; training_config, when present and made of
/// an optimizer and loss Loom has, fills `training`, and tf.keras-named optimizer weights fill
/// `optimizerState`. What was left out is listed in `warnings`.
KerasModel loadKerasHdf5(const std::string& path);

/// A Keras 3 .keras archive (a zip of config.json and model.weights.h5). compile_config
/// fills `training` as training_config does for HDF5 files.
KerasModel loadKerasZip(const std::string& path);

/// Loads a weights-only file (save_weights: layer groups at the root; a whole-model file is
/// accepted too) into an existing graph, matching layers by name. Keras 3's save_weights
/// files (.weights.h5), which name no layers, are matched by position instead: the graph's
/// layers in the order Keras lists them, as exportKerasHdf5 orders them. Every layer with
/// parameters must be in the file and every weighted layer of the file in the graph. channelsLast
/// says whether the Keras model read its images as [H, W, C] (Keras 2's default; false for Keras 1
/// 'th' models): the first Dense after a Flatten then has its rows reordered. The graph is
/// built first when it is not; on any error its weights are left as they were.
void loadKerasWeightsInto(Graph& graph, const std::string& path, bool channelsLast = true);

/// Writes a built graph as a Keras 2 whole-model HDF5 file that Keras' own load_model reads
/// (tf.keras 2.x and Keras 3's legacy loader): model_config of class Sequential (a chain) or
/// Model (functional) in channels_last form, keras_version "2.4.0", backend "tensorflow",
/// /model_weights/<layer>/<layer>/kernel:0 with HWIO conv kernels and the Dense-after-Flatten
/// rows in Keras' order. With `training`, training_config is written; with an `optimizer`
/// too, its step count and slots as /optimizer_weights in tf.keras' order and names. Saved
/// atomically. Layers, activations or shapes Keras cannot express throw IoError naming them.
void exportKerasHdf5(const Graph& graph, const std::string& path,
                     const TrainingConfig* training = nullptr,
                     const Optimizer* optimizer = nullptr);

}  // namespace loom
