#include <loom/Error.h>
#include <loom/WeightsFile.h>

#include <hdf5.h>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

namespace loom {

namespace {

constexpr int kWeightsFormatVersion = 1;

// Closes an HDF5 handle when it goes out of scope.
class H5Handle {
public:
    H5Handle(hid_t id, herr_t (*close)(hid_t)) : m_id(id), m_close(close) {}
    ~H5Handle() {
        if (m_id >= 0) {
            m_close(m_id);
        }
    }
    H5Handle(const H5Handle&) = delete;
    H5Handle& operator=(const H5Handle&) = delete;
    hid_t get() const { return m_id; }
    bool valid() const { return m_id >= 0; }

private:
    hid_t m_id;
    herr_t (*m_close)(hid_t);
};

// HDF5 prints its own error stack to stderr by default; Loom reports errors itself.
void silenceHdf5() {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

void check(bool ok, const std::string& message) {
    if (!ok) {
        throw IoError(message);
    }
}

void writeWeight(hid_t group, const std::string& name, const Tensor& value,
                 const std::string& path) {
    Tensor host = value.to(DType::F32);
    std::vector<hsize_t> dims(host.shape().dims().begin(), host.shape().dims().end());
    H5Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
    H5Handle set(H5Dcreate2(group, name.c_str(), H5T_IEEE_F32LE, space.get(), H5P_DEFAULT,
                            H5P_DEFAULT, H5P_DEFAULT),
                 H5Dclose);
    check(set.valid() &&
              H5Dwrite(set.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, host.raw()) >= 0,
          path + ": could not write weight '" + name + "'");
}

void fsyncFile(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

void readWeight(hid_t file, const std::string& layer, Parameter& p, const std::string& path) {
    const std::string where = path + ": layer '" + layer + "' weight '" + p.name + "'";
    const std::string name = "/" + layer + "/" + p.name;
    check(H5Lexists(file, ("/" + layer).c_str(), H5P_DEFAULT) > 0 &&
              H5Lexists(file, name.c_str(), H5P_DEFAULT) > 0,
          where + " is missing from the file");
    H5Handle set(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
    check(set.valid(), where + " is not a dataset");
    H5Handle type(H5Dget_type(set.get()), H5Tclose);
    check(H5Tget_class(type.get()) == H5T_FLOAT, where + " is not stored as floating point");
    H5Handle space(H5Dget_space(set.get()), H5Sclose);
    int rank = H5Sget_simple_extent_ndims(space.get());
    check(rank >= 0 && rank <= 8, where + " has an invalid rank");
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    Shape stored(std::vector<int64_t>(dims.begin(), dims.end()));
    check(stored == p.value.shape(), where + " has shape " + stored.str() + " in the file but " +
                                         p.value.shape().str() + " in the model");
    Tensor host = Tensor::empty(p.value.shape(), DType::F32);
    check(H5Dread(set.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, host.raw()) >= 0,
          where + " could not be read (corrupt file?)");
    Tensor converted = host.to(p.value.dtype());
    cpuBackend().copy(converted, p.value);
}

}  // namespace

void writeAtomically(const std::string& path,
                     const std::function<void(const std::string&)>& write) {
    const std::string temporary = path + ".saving-" + std::to_string(::getpid());
    try {
        write(temporary);
        fsyncFile(temporary);
        std::filesystem::rename(temporary, path);
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
        throw;
    }
    auto folder = std::filesystem::absolute(path).parent_path();
    fsyncFile(folder.string());
}

void saveWeights(Graph& graph, const std::string& path) {
    silenceHdf5();
    writeAtomically(path, [&](const std::string& temporary) {
        H5Handle file(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                      H5Fclose);
        check(file.valid(), path + ": cannot create the file");
        H5Handle scalar(H5Screate(H5S_SCALAR), H5Sclose);
        H5Handle version(H5Acreate2(file.get(), "loom_weights_version", H5T_STD_I32LE, scalar.get(),
                                    H5P_DEFAULT, H5P_DEFAULT),
                         H5Aclose);
        H5Awrite(version.get(), H5T_NATIVE_INT, &kWeightsFormatVersion);
        for (size_t index : graph.order()) {
            Layer& layer = *graph.nodes()[index].layer;
            if (layer.parameters().empty()) {
                continue;
            }
            H5Handle group(
                H5Gcreate2(file.get(), layer.name().c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                H5Gclose);
            check(group.valid(), path + ": cannot create group '" + layer.name() + "'");
            for (const Parameter& p : layer.parameters()) {
                writeWeight(group.get(), p.name, p.value, path);
            }
        }
        check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL) >= 0, path + ": flush failed");
    });
}

void loadWeights(Graph& graph, const std::string& path) {
    silenceHdf5();
    check(std::filesystem::exists(path), path + ": no such file");
    check(H5Fis_hdf5(path.c_str()) > 0, path + ": not an HDF5 file (or it is corrupt)");
    H5Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    check(file.valid(), path + ": cannot open");
    check(H5Aexists(file.get(), "loom_weights_version") > 0,
          path + ": not a Loom weights file (no loom_weights_version attribute)");
    int version = 0;
    H5Handle attribute(H5Aopen(file.get(), "loom_weights_version", H5P_DEFAULT), H5Aclose);
    H5Aread(attribute.get(), H5T_NATIVE_INT, &version);
    check(version <= kWeightsFormatVersion,
          path + ": written by a newer Loom (format " + std::to_string(version) + ")");
    for (size_t index : graph.order()) {
        Layer& layer = *graph.nodes()[index].layer;
        for (Parameter& p : layer.parameters()) {
            readWeight(file.get(), layer.name(), p, path);
        }
    }
}

}  // namespace loom
