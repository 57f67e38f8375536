#pragma once
// The shared body of Flatten and Reshape: the output is a view of the input with the shape
// inferShape gives, and the gradient a view of dy with the input's shape. No data moves.

#include "LayerSupport.h"

namespace loom::layers {

class ViewLayer : public Layer {
public:
    void forward(ExecutionContext&, const std::vector<Tensor>& x, Tensor& y) override {
        y = x[0].reshape(inferShape({x[0].shape().withoutBatch()}).withBatch(x[0].dim(0)));
    }

    void backward(ExecutionContext&, const std::vector<Tensor>& x, const Tensor&, const Tensor& dy,
                  std::vector<Tensor>& dx, const std::vector<bool>& needDx) override {
        if (needDx[0]) {
            dx[0] = dy.reshape(x[0].shape());
        }
    }
};

}  // namespace loom::layers
