"""cc_proto: C++ (and optionally gRPC) code for .proto files with the system
protoc and grpc_cpp_plugin. cc_proto_library would build protobuf from
source, which needs a download; this genrule does not."""

def cc_proto(name, srcs, deps = [], grpc = False, visibility = None):
    """Declares `name`, a cc_library of the generated code for `srcs`.

    Args:
      name: the cc_library's name.
      srcs: .proto files of this package.
      deps: other cc_proto targets whose .proto files `srcs` import.
      grpc: also generate gRPC service stubs.
      visibility: of the cc_library.
    """
    bases = [s[:-len(".proto")] for s in srcs]
    outs = [b + ".pb.h" for b in bases] + [b + ".pb.cc" for b in bases]
    if grpc:
        outs += [b + ".grpc.pb.h" for b in bases] + [b + ".grpc.pb.cc" for b in bases]
    cmd = "/usr/bin/protoc -I. --cpp_out=$(GENDIR) "
    if grpc:
        cmd += "--grpc_out=$(GENDIR) --plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin "
    cmd += "$(SRCS)"
    native.filegroup(
        name = name + "_files",
        srcs = srcs + [d + "_files" for d in deps],
        visibility = visibility,
    )
    native.genrule(
        name = name + "_gen",
        srcs = srcs,
        tools = [d + "_files" for d in deps],
        outs = outs,
        cmd = cmd,
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        deps = deps + ["//third_party/system:protobuf"] +
               (["//third_party/system:grpc"] if grpc else []),
        visibility = visibility,
    )
