#pragma once
/// Two-dimensional maps of many points, such as one layer's outputs for a set of samples, to see
/// which samples the layer puts together: PCA (the features on their directions of largest
/// variance) and t-SNE (van der Maaten's Barnes-Hut t-SNE, 2014: points that are neighbours in
/// the layer stay neighbours on the map, while far points are pushed apart).
///
/// features are [N, D], one row per point, in any dtype on any device (read as float64 on the
/// host). Both methods are deterministic: the same features and options give the same map, bit
/// for bit, on one machine.

#include <loom/Tensor.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace loom {

class RunControl;

/// The principal axes of features [N, D].
struct PrincipalComponents {
    std::vector<double> mean;  ///< [D], the centre the axes pass through
    /// [components, D] float32: unit rows, largest variance first, each row's largest-magnitude
    /// entry positive (so the map does not flip between runs). An axis with no variance along it
    /// means nothing (and may be zero).
    Tensor axes;
    std::vector<double> variances;  ///< along each axis (sums of squares / (N - 1))
    double totalVariance = 0;  ///< over all D features: variances[i] / it is the share explained
};

/// Throws ShapeError unless features are [N, D], ConfigError unless 1 <= components <=
/// min(N - 1, D), DataError naming the row of a NaN or infinite value.
PrincipalComponents principalComponents(const Tensor& features, int components = 2);

/// features centred and projected onto their first `components` principal axes:
/// [N, components] float32.
Tensor pcaProjection(const Tensor& features, int components = 2);

/// Where the t-SNE map starts.
enum class TsneStart {
    Pca,    ///< the 2-D PCA map scaled to standard deviation 1e-4 (openTSNE's advice: the
            ///< clusters' global arrangement survives, and the seed is not needed)
    Random  ///< seeded Gaussian, standard deviation 1e-4 (van der Maaten's reference)
};

struct TsneOptions {
    double perplexity = 30;  ///< about how many neighbours each point keeps; at most (N - 1) / 3
    int iterations = 1000;
    /// Barnes-Hut's accuracy: a quadtree cell seen from further than its width / theta acts as
    /// one point at its centre of mass. 0: every pair, exactly (N^2 per iteration).
    double theta = 0.5;
    /// 0: max(N / exaggeration / 4, 50), scikit-learn's "auto" (the gradient here has KL's
    /// factor 4, as scikit-learn's does; openTSNE's and bhtsne's rates are 4x these).
    double learningRate = 0;
    int exaggerationIterations = 250;  ///< early exaggeration; momentum 0.5 then, 0.8 after
    double exaggeration = 12;          ///< P's factor during early exaggeration
    int pcaDimensions = 50;  ///< wider features are first reduced to this many PCA axes; 0: never
    TsneStart start = TsneStart::Pca;
    uint64_t seed = 0;  ///< for the Random start (features with one column start at random too)
};

struct TsneProgress {
    int iteration = 0;  ///< iterations done
    int iterations = 0;
    /// KL(P || Q) at this iteration, every 50 iterations and after the last; NaN otherwise (it
    /// costs a logarithm per affinity).
    double klDivergence = 0;
    Tensor layout;  ///< [N, 2] float32, a copy the receiver may keep
};

/// A t-SNE map [N, 2] float32 of features [N, D]. progress, when given, is called every 10
/// iterations and after the last one, on the calling thread. control, when given, is checked
/// before every iteration: a pause holds there; a stop returns the map so far at once (no
/// exception). Throws ShapeError unless features are [N, D], ConfigError for options out of
/// range (a perplexity too large for N among them), DataError naming the row of a NaN or
/// infinite value.
Tensor tsneProjection(const Tensor& features, const TsneOptions& options = {},
                      const std::function<void(const TsneProgress&)>& progress = {},
                      RunControl* control = nullptr);

namespace detail {
// t-SNE's parts, exposed for TestEmbedding only; callers use tsneProjection.

/// Symmetric input affinities P (summing to 1) as compressed sparse rows.
struct TsneAffinities {
    std::vector<int64_t> rowStart;  ///< N + 1 offsets into column and value
    std::vector<int32_t> column;
    std::vector<double> value;
};

/// P for points [n, d] (row-major): each point's Gaussian over its floor(3 x perplexity) nearest
/// neighbours (exact search), its width set by binary search so that its perplexity is
/// `perplexity`; then (P + P^T) / 2N.
TsneAffinities tsneAffinities(const std::vector<double>& points, int64_t n, int64_t d,
                              double perplexity);

/// The gradient of KL(P || Q) (with its factor 4) at a layout [n, 2] (row-major), with P
/// multiplied by `exaggeration`; the repulsion by Barnes-Hut with theta (0: every pair, exactly).
/// klDivergence, when not null, receives KL(P || Q) for the unscaled P, with Q normalised by the
/// same approximation.
std::vector<double> tsneGradient(const TsneAffinities& p, const std::vector<double>& layout,
                                 double theta, double exaggeration = 1,
                                 double* klDivergence = nullptr);

}  // namespace detail

}  // namespace loom
