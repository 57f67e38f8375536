#pragma once
// Keras 1 and Keras 3 model configs rewritten in the Keras 2 form that KerasModel.cpp converts,
// the way Keras 2's own legacy support read Keras 1 arguments.

#include <nlohmann/json.hpp>

namespace loom {

/// Returns modelConfig ({"class_name", "config"}) with every layer in Keras 2 form:
/// - Keras 1 layers: Convolution2D / AtrousConvolution2D -> Conv2D (nb_filter, nb_row, nb_col,
///   subsample, border_mode, atrous_rate, bias), Dense output_dim, Dropout p, pooling
///   border_mode, dim_ordering th/tf -> data_format, ZeroPadding2D's 4-value forms, Merge
///   (sum, concat) -> Add / Concatenate. A batch-norm mode other than 0 or a border_mode
///   "full" throws IoError naming the layer.
/// - Keras 3 functional models: inbound nodes written as {"args": [...keras tensors...]} become
///   [[name, node, tensor, {}]] lists, and a single input or output ref gets its list.
/// Keras 2 configs come back unchanged.
nlohmann::json upgradeKerasConfig(const nlohmann::json& modelConfig);

}  // namespace loom
