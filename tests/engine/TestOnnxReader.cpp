// Loom's ONNX reader: real TensorProto and ModelProto files from Debian's libonnx-testdata
// decode to the values and attributes they hold, every encoding of a tensor's data reads the
// same, and truncated, corrupted or hostile buffers throw loom::IoError without crashing or
// allocating what the buffer does not hold.

#include <loom/Error.h>
#include <loom/OnnxModel.h>

#include <QtTest>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

using namespace loom;

namespace {

std::string testDataDir() {
    const char* env = std::getenv("LOOM_ONNX_TESTDATA");
    return env != nullptr ? env : "/usr/share/libonnx-testdata/data";
}

std::string readBytes(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

/// A minimal protobuf writer, so that tests can build exact (and exactly wrong) buffers.
class Writer {
public:
    Writer& varint(uint64_t v) {
        while (v >= 0x80) {
            m_bytes.push_back(static_cast<char>((v & 0x7f) | 0x80));
            v >>= 7;
        }
        m_bytes.push_back(static_cast<char>(v));
        return *this;
    }
    Writer& key(uint32_t field, int wireType) { return varint((uint64_t{field} << 3) | wireType); }
    Writer& intField(uint32_t field, int64_t v) {
        return key(field, 0).varint(static_cast<uint64_t>(v));
    }
    Writer& bytesField(uint32_t field, const std::string& b) {
        key(field, 2).varint(b.size());
        m_bytes += b;
        return *this;
    }
    Writer& fixed32Field(uint32_t field, float v) {
        key(field, 5);
        return raw(&v, 4);
    }
    Writer& fixed64Field(uint32_t field, double v) {
        key(field, 1);
        return raw(&v, 8);
    }
    Writer& raw(const void* data, size_t n) {
        m_bytes.append(static_cast<const char*>(data), n);
        return *this;
    }
    const std::string& str() const { return m_bytes; }

private:
    std::string m_bytes;
};

template <typename T>
std::string rawOf(const std::vector<T>& values) {
    return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

std::string packedVarints(const std::vector<int64_t>& values) {
    Writer w;
    for (int64_t v : values) {
        w.varint(static_cast<uint64_t>(v));
    }
    return w.str();
}

void expectValues(const OnnxTensor& t, const std::vector<int64_t>& dims,
                  const std::vector<float>& values) {
    QCOMPARE(t.dims, dims);
    QVERIFY(t.hasValue());
    QCOMPARE(t.value().shape(), Shape(dims));
    QCOMPARE(t.value().numel(), static_cast<int64_t>(values.size()));
    for (size_t i = 0; i < values.size(); ++i) {
        QVERIFY2(std::abs(t.value().at(static_cast<int64_t>(i)) - values[i]) <= 1e-6,
                 qPrintable(QString("element %1: got %2, expected %3")
                                .arg(i)
                                .arg(t.value().at(static_cast<int64_t>(i)))
                                .arg(values[i])));
    }
}

enum class Outcome { Decoded, IoError, OtherError };

/// Parsing must either succeed or throw IoError; anything else is a bug (a crash ends the test
/// run, which fails it too). `error` receives the message of an unexpected exception.
template <typename Parse>
Outcome outcomeOf(Parse parse, QString& error) {
    try {
        parse();
        return Outcome::Decoded;
    } catch (const IoError&) {
        return Outcome::IoError;
    } catch (const std::exception& e) {
        error = e.what();
        return Outcome::OtherError;
    }
}

}  // namespace

class TestOnnxReader : public QObject {
    Q_OBJECT

private slots:
    void realTensorFiles_data();
    void realTensorFiles();
    void realModelNodeTest();
    void realModelInitializersAndConstants();
    void dataEncodings();
    void unsupportedTypes();
    void truncatedFiles();
    void corruptedFiles();
    void hostileBuffers_data();
    void hostileBuffers();
    void missingFile();
};

void TestOnnxReader::realTensorFiles_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("dataType");
    QTest::addColumn<std::vector<int64_t>>("dims");
    QTest::addColumn<std::vector<float>>("values");
    const QString node = QString::fromStdString(testDataDir()) + "/node/";
    QTest::newRow("softmax_example input")
        << node + "test_softmax_example/test_data_set_0/input_0.pb" << 1
        << std::vector<int64_t>{1, 3} << std::vector<float>{-1, 0, 1};
    // softmax([-1, 0, 1]) and elu([-1, 0, 1], alpha 2), as the ONNX reference computes them.
    QTest::newRow("softmax_example output")
        << node + "test_softmax_example/test_data_set_0/output_0.pb" << 1
        << std::vector<int64_t>{1, 3} << std::vector<float>{0.09003057f, 0.24472847f, 0.66524096f};
    QTest::newRow("elu_example output")
        << node + "test_elu_example/test_data_set_0/output_0.pb" << 1 << std::vector<int64_t>{3}
        << std::vector<float>{-1.2642411f, 0, 1};
    QTest::newRow("reshape shape (INT64)")
        << node + "test_reshape_negative_dim/test_data_set_0/input_1.pb" << 7
        << std::vector<int64_t>{3} << std::vector<float>{2, -1, 2};
    QTest::newRow("globalaveragepool input")
        << node + "test_globalaveragepool_precomputed/test_data_set_0/input_0.pb" << 1
        << std::vector<int64_t>{1, 1, 3, 3} << std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8, 9};
    QTest::newRow("globalaveragepool output")
        << node + "test_globalaveragepool_precomputed/test_data_set_0/output_0.pb" << 1
        << std::vector<int64_t>{1, 1, 1, 1} << std::vector<float>{5};
    QTest::newRow("concat input") << node + "test_concat_1d_axis_0/test_data_set_0/input_1.pb" << 1
                                  << std::vector<int64_t>{2} << std::vector<float>{3, 4};
}

void TestOnnxReader::realTensorFiles() {
    QFETCH(QString, file);
    QFETCH(int, dataType);
    QFETCH(std::vector<int64_t>, dims);
    QFETCH(std::vector<float>, values);
    if (!std::filesystem::exists(file.toStdString())) {
        QSKIP("libonnx-testdata is not installed (apt-get install libonnx-testdata)");
    }
    OnnxTensor t = readOnnxTensorFile(file.toStdString());
    QCOMPARE(t.dataType, dataType);
    expectValues(t, dims, values);
}

void TestOnnxReader::realModelNodeTest() {
    const std::string path = testDataDir() + "/node/test_conv_with_strides_padding/model.onnx";
    if (!std::filesystem::exists(path)) {
        QSKIP("libonnx-testdata is not installed");
    }
    OnnxModel model = readOnnxModelFile(path);
    QCOMPARE(model.opsetVersion(), int64_t{11});
    QCOMPARE(model.producerName, std::string("backend-test"));
    QCOMPARE(model.graph.nodes.size(), size_t{1});
    const OnnxNode& conv = model.graph.nodes[0];
    QCOMPARE(conv.opType, std::string("Conv"));
    QCOMPARE(conv.inputs, (std::vector<std::string>{"x", "W"}));
    QCOMPARE(conv.outputs, (std::vector<std::string>{"y"}));
    QCOMPARE(conv.getInts("kernel_shape", {}), (std::vector<int64_t>{3, 3}));
    QCOMPARE(conv.getInts("pads", {}), (std::vector<int64_t>{1, 1, 1, 1}));
    QCOMPARE(conv.getInts("strides", {}), (std::vector<int64_t>{2, 2}));
    QCOMPARE(conv.attribute("strides")->type, int32_t{OnnxAttribute::Ints});
    QCOMPARE(conv.getInts("dilations", {7}), (std::vector<int64_t>{7}));  // absent: default
    QVERIFY_THROWS_EXCEPTION(IoError, conv.getFloat("strides", 0));       // INTS, not FLOAT
    QCOMPARE(model.graph.inputs.size(), size_t{2});
    QCOMPARE(model.graph.inputs[1].name, std::string("W"));
    QCOMPARE(model.graph.inputs[1].elemType, int32_t{1});
    QCOMPARE(model.graph.inputs[1].dims, (std::vector<int64_t>{1, 1, 3, 3}));
    QCOMPARE(model.graph.outputs[0].dims, (std::vector<int64_t>{1, 1, 4, 3}));
}

void TestOnnxReader::realModelInitializersAndConstants() {
    const std::string conv = testDataDir() + "/pytorch-converted/test_Conv2d/model.onnx";
    const std::string mm = testDataDir() + "/pytorch-operator/test_operator_mm/model.onnx";
    const std::string elu = testDataDir() + "/node/test_elu/model.onnx";
    if (!std::filesystem::exists(conv) || !std::filesystem::exists(mm)) {
        QSKIP("libonnx-testdata is not installed");
    }
    OnnxModel model = readOnnxModelFile(conv);
    QCOMPARE(model.opsetVersion(), int64_t{6});
    const OnnxTensor* bias = model.graph.initializer("2");
    QVERIFY(bias != nullptr);
    expectValues(*bias, {4}, {-0.174544f, 0.0934583f, 0.0468576f, 0.182449f});
    QCOMPARE(model.graph.initializer("1")->dims, (std::vector<int64_t>{4, 3, 3, 2}));
    QCOMPARE(model.graph.nodes[0].getInt("group", 0), int64_t{1});
    QCOMPARE(model.graph.nodes[0].getInts("kernel_shape", {}), (std::vector<int64_t>{3, 2}));

    // A Constant node carries its value as a tensor attribute.
    OnnxModel mmModel = readOnnxModelFile(mm);
    QCOMPARE(mmModel.graph.nodes[0].opType, std::string("Constant"));
    const OnnxAttribute* value = mmModel.graph.nodes[0].attribute("value");
    QVERIFY(value != nullptr && value->t != nullptr);
    QCOMPARE(value->type, int32_t{OnnxAttribute::TensorValue});
    QCOMPARE(value->t->value().numel(), int64_t{1});
    QCOMPARE(mmModel.graph.nodes[1].getFloat("beta", -1), 0.0f);

    OnnxModel eluModel = readOnnxModelFile(elu);
    QCOMPARE(eluModel.graph.nodes[0].getFloat("alpha", 0), 2.0f);
    QCOMPARE(eluModel.graph.nodes[0].attribute("alpha")->type, int32_t{OnnxAttribute::Float});
}

void TestOnnxReader::dataEncodings() {
    // float_data packed (proto3 style) and unpacked (one fixed32 field per value).
    Writer packed;
    packed.intField(1, 2).intField(1, 2).intField(2, 1).bytesField(8, "p");
    packed.bytesField(4, rawOf(std::vector<float>{1.5f, -2, 3, 4.25f}));
    expectValues(parseOnnxTensor(packed.str(), "packed"), {2, 2}, {1.5f, -2, 3, 4.25f});
    QCOMPARE(parseOnnxTensor(packed.str(), "packed").name, std::string("p"));

    Writer unpacked;
    unpacked.intField(1, 3).intField(2, 1);
    unpacked.fixed32Field(4, 0.5f).fixed32Field(4, -1).fixed32Field(4, 7);
    expectValues(parseOnnxTensor(unpacked.str(), "unpacked"), {3}, {0.5f, -1, 7});

    // dims packed, double_data, int64_data with negatives (ten-byte varints).
    Writer doubles;
    doubles.bytesField(1, packedVarints({3})).intField(2, 11);
    doubles.fixed64Field(10, 0.25).fixed64Field(10, -8).fixed64Field(10, 1e-3);
    expectValues(parseOnnxTensor(doubles.str(), "double"), {3}, {0.25f, -8, 1e-3f});

    Writer int64s;
    int64s.intField(1, 4).intField(2, 7).bytesField(7, packedVarints({-1, 0, 300, -70000}));
    expectValues(parseOnnxTensor(int64s.str(), "int64"), {4}, {-1, 0, 300, -70000});

    // int32_data carries INT8 and INT32 values sign-extended.
    Writer int8s;
    int8s.intField(1, 3).intField(2, 3).bytesField(5, packedVarints({-5, 127, -128}));
    expectValues(parseOnnxTensor(int8s.str(), "int8"), {3}, {-5, 127, -128});

    // raw_data of INT32, UINT8, BOOL and DOUBLE.
    Writer raw32;
    raw32.intField(1, 2).intField(2, 6).bytesField(9, rawOf(std::vector<int32_t>{-7, 9}));
    expectValues(parseOnnxTensor(raw32.str(), "raw int32"), {2}, {-7, 9});
    Writer rawU8;
    rawU8.intField(1, 3).intField(2, 2).bytesField(9, std::string("\x00\x80\xff", 3));
    expectValues(parseOnnxTensor(rawU8.str(), "raw uint8"), {3}, {0, 128, 255});
    Writer rawBool;
    rawBool.intField(1, 2).intField(2, 9).bytesField(9, std::string("\x01\x00", 2));
    expectValues(parseOnnxTensor(rawBool.str(), "raw bool"), {2}, {1, 0});
    Writer rawDouble;
    rawDouble.intField(2, 11).bytesField(9, rawOf(std::vector<double>{-2.5}));
    expectValues(parseOnnxTensor(rawDouble.str(), "raw double scalar"), {}, {-2.5f});

    // Unknown fields of every wire type are skipped.
    Writer unknown;
    unknown.intField(1, 1).intField(2, 1).intField(99, 5).fixed64Field(98, 1).bytesField(97, "x");
    unknown.fixed32Field(96, 1).bytesField(9, rawOf(std::vector<float>{42}));
    expectValues(parseOnnxTensor(unknown.str(), "unknown fields"), {1}, {42});
}

void TestOnnxReader::unsupportedTypes() {
    Writer strings;
    strings.intField(1, 1).intField(2, 8).bytesField(8, "words").bytesField(6, "hello");
    OnnxTensor t = parseOnnxTensor(strings.str(), "strings");
    QVERIFY(!t.hasValue());
    QCOMPARE(t.dims, (std::vector<int64_t>{1}));
    try {
        t.value();
        QFAIL("value() of a STRING tensor did not throw");
    } catch (const IoError& e) {
        QVERIFY2(std::string(e.what()).find("STRING") != std::string::npos, e.what());
        QVERIFY2(std::string(e.what()).find("words") != std::string::npos, e.what());
    }
    Writer half;
    half.intField(1, 1).intField(2, 10).bytesField(9, std::string("\x00\x3c", 2));
    QVERIFY(!parseOnnxTensor(half.str(), "float16").hasValue());
    QCOMPARE(onnxDataTypeName(10), std::string("FLOAT16"));
    QCOMPARE(onnxDataTypeName(99), std::string("type 99"));
}

void TestOnnxReader::truncatedFiles() {
    const std::string tensorPath =
        testDataDir() + "/pytorch-converted/test_Conv2d/test_data_set_0/input_0.pb";
    const std::string modelPath = testDataDir() + "/pytorch-converted/test_Conv2d/model.onnx";
    if (!std::filesystem::exists(tensorPath)) {
        QSKIP("libonnx-testdata is not installed");
    }
    // Every strict prefix of a tensor file loses data: each must throw IoError.
    const std::string tensor = readBytes(tensorPath);
    for (size_t n = 0; n < tensor.size(); ++n) {
        const std::string prefix = tensor.substr(0, n);
        QString error;
        const Outcome outcome =
            outcomeOf([&] { parseOnnxTensor(prefix, "prefix").value(); }, error);
        QVERIFY2(outcome == Outcome::IoError,
                 qPrintable(QString("a %1-byte prefix of a %2-byte tensor file: %3")
                                .arg(n)
                                .arg(tensor.size())
                                .arg(outcome == Outcome::Decoded ? "decoded" : error)));
    }
    // A model prefix that ends between fields is a valid (smaller) message; all others throw.
    const std::string model = readBytes(modelPath);
    int threw = 0;
    for (size_t n = 0; n < model.size(); ++n) {
        const std::string prefix = model.substr(0, n);
        QString error;
        const Outcome outcome = outcomeOf([&] { parseOnnxModel(prefix, "prefix"); }, error);
        QVERIFY2(outcome != Outcome::OtherError, qPrintable(error));
        threw += outcome == Outcome::IoError ? 1 : 0;
    }
    QVERIFY2(
        threw > static_cast<int>(model.size()) * 9 / 10,
        qPrintable(
            QString("only %1 of %2 truncated models were rejected").arg(threw).arg(model.size())));
}

void TestOnnxReader::corruptedFiles() {
    const std::string modelPath = testDataDir() + "/node/test_gemm_all_attributes/model.onnx";
    const std::string tensorPath =
        testDataDir() + "/node/test_gemm_all_attributes/test_data_set_0/input_1.pb";
    if (!std::filesystem::exists(modelPath)) {
        QSKIP("libonnx-testdata is not installed");
    }
    std::mt19937 rng(1234);
    for (const std::string& path : {modelPath, tensorPath}) {
        const std::string original = readBytes(path);
        std::uniform_int_distribution<size_t> position(0, original.size() - 1);
        std::uniform_int_distribution<int> byte(0, 255);
        for (int trial = 0; trial < 3000; ++trial) {
            std::string bytes = original;
            for (int flips = 1 + trial % 4; flips > 0; --flips) {
                bytes[position(rng)] = static_cast<char>(byte(rng));
            }
            QString error;
            const Outcome outcome =
                path == modelPath
                    ? outcomeOf([&] { parseOnnxModel(bytes, "corrupt"); }, error)
                    : outcomeOf([&] { parseOnnxTensor(bytes, "corrupt").hasValue(); }, error);
            QVERIFY2(outcome != Outcome::OtherError,
                     qPrintable(QString("trial %1 on %2: %3").arg(trial).arg(path.c_str(), error)));
        }
    }
}

void TestOnnxReader::hostileBuffers_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("model");
    QTest::addColumn<QString>("message");  // part of the error message
    auto row = [](const char* name, const std::string& b, bool model, const char* message) {
        QTest::newRow(name) << QByteArray(b.data(), static_cast<int>(b.size())) << model
                            << QString(message);
    };
    row("varint of 11 bytes", std::string(10, '\xff') + '\x01', false, "not a valid ONNX file");
    row("varint over 64 bits", std::string(9, '\xff') + '\x02', false, "not a valid ONNX file");
    row("truncated varint", "\x08\x80", false, "not a valid ONNX file");
    row("field number 0", std::string("\x00\x01", 2), false, "not a valid ONNX file");
    // Protobuf keeps a field of another wire type than the schema's as an unknown field, so
    // these decode, to a tensor without a data type.
    row("group wire type", "\x0b\x0c", false, "data type UNDEFINED");
    row("wire type 7", "\x0f", false, "not a valid ONNX file");
    row("truncated fixed32", Writer().key(4, 5).str() + "\x01\x02", false, "not a valid ONNX file");
    row("truncated fixed64", Writer().key(10, 1).str() + "\x01", false, "not a valid ONNX file");
    row("length past the end", Writer().key(9, 2).varint(uint64_t{1} << 40).str() + "abc", false,
        "not a valid ONNX file");
    row("packed floats not a multiple of 4", Writer().intField(2, 1).bytesField(4, "12345").str(),
        false, "not a valid ONNX file");
    row("data_type as bytes", Writer().bytesField(2, "x").str(), false, "data type UNDEFINED");
    row("name as varint", Writer().intField(8, 3).str(), false, "data type UNDEFINED");
    row("negative dimension", Writer().intField(1, -3).intField(2, 1).str(), false,
        "negative dimension");
    row("dims too large to address",
        Writer().intField(1, int64_t{1} << 40).intField(1, int64_t{1} << 40).intField(2, 1).str(),
        false, "too large");
    row("huge dims, tiny raw data",
        Writer().intField(1, int64_t{1} << 40).intField(2, 1).bytesField(9, "abcd").str(), false,
        "raw_data holds 4 bytes");
    row("huge dims, no data", Writer().intField(1, int64_t{1} << 33).intField(2, 1).str(), false,
        "holds 0 values");
    row("more values than dims",
        Writer().intField(1, 1).intField(2, 1).fixed32Field(4, 1).fixed32Field(4, 2).str(), false,
        "holds 2 values");
    row("graph longer than the model", Writer().key(7, 2).varint(100).str() + "\x0a\x02", true,
        "not a valid ONNX file");
    row("node inside graph overruns",
        Writer().bytesField(7, Writer().key(1, 2).varint(50).str() + "xyz").str(), true,
        "not a valid ONNX file");
    row("model without a graph", Writer().intField(1, 7).str(), true, "no graph");
    row("initializer corrupt inside a model",
        Writer().bytesField(7, Writer().bytesField(5, Writer().intField(1, -1).str()).str()).str(),
        true, "negative dimension");
}

void TestOnnxReader::hostileBuffers() {
    QFETCH(QByteArray, bytes);
    QFETCH(bool, model);
    QFETCH(QString, message);
    const std::string_view view(bytes.constData(), static_cast<size_t>(bytes.size()));
    try {
        if (model) {
            parseOnnxModel(view, "hostile.onnx");
        } else {
            parseOnnxTensor(view, "hostile.pb").value();
        }
        QFAIL("a hostile buffer decoded without an error");
    } catch (const IoError& e) {
        const std::string text = e.what();
        QVERIFY2(text.find(message.toStdString()) != std::string::npos, e.what());
        QVERIFY2(text.find("hostile") != std::string::npos, "the message names the source");
    }
}

void TestOnnxReader::missingFile() {
    QVERIFY_THROWS_EXCEPTION(IoError, readOnnxModelFile("/nonexistent/model.onnx"));
    QVERIFY_THROWS_EXCEPTION(IoError, readOnnxTensorFile("/nonexistent/input_0.pb"));
}

QTEST_APPLESS_MAIN(TestOnnxReader)
#include "TestOnnxReader.moc"
