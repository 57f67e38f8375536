#pragma once
/// IDX files (the MNIST / Fashion-MNIST format), plain or gzip-compressed.

#include <loom/Dataset.h>

#include <string>
#include <vector>

namespace loom {

/// Reads one IDX file into a float32 tensor of its dims. The header is checked against the
/// file's real size before anything is allocated; a corrupt file throws IoError saying why.
Tensor readIdx(const std::string& path);

/// An image file [N, rows, cols] and a label file [N] as a data set of [N, 1, rows, cols]
/// samples (pixel values 0..255) with class names (Fashion-MNIST's when there are 10
/// classes and `fashion`, else "0".."9"). Throws DataError for files that do not match or
/// hold no samples.
Dataset loadIdxDataset(const std::string& imagesPath, const std::string& labelsPath, bool fashion);

/// Fashion-MNIST's ten class names, in label order.
const std::vector<std::string>& fashionMnistClassNames();

/// Fashion-MNIST from a folder holding the four standard files (plain or .gz); `test` picks
/// t10k instead of train. Debian's dataset-fashion-mnist installs them in
/// /usr/share/datasets/fashion-mnist.
Dataset loadFashionMnist(const std::string& folder, bool test);

}  // namespace loom
