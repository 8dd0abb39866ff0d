"""Reference outputs of face_landmark.tflite from MediaPipe's own TFLite interpreter.

Reads a 192x192 RGB8 image as raw bytes on stdin (row-major, 110592 bytes), runs it through a
MediaPipe graph -- ImageToTensorCalculator (identity crop, [0, 1] float range, as MediaPipe's face
landmark graph prepares its input) then InferenceCalculator (TFLite, CPU) -- and prints the 1404
landmark coordinates and the face-presence logit, one float per line, landmarks first.
Usage: python3 reference_face_landmark.py MODEL.tflite < image.rgb
"""
import sys

import numpy as np
import mediapipe as mp
from mediapipe.framework import calculator_pb2
from google.protobuf import text_format

GRAPH = """
input_stream: "image"
output_stream: "landmarks"
output_stream: "flag"
node {
  calculator: "ImageToTensorCalculator"
  input_stream: "IMAGE:image"
  output_stream: "TENSORS:input_tensors"
  options {
    [mediapipe.ImageToTensorCalculatorOptions.ext] {
      output_tensor_width: 192
      output_tensor_height: 192
      keep_aspect_ratio: false
      output_tensor_float_range { min: 0.0 max: 1.0 }
    }
  }
}
node {
  calculator: "InferenceCalculator"
  input_stream: "TENSORS:input_tensors"
  output_stream: "TENSORS:output_tensors"
  options {
    [mediapipe.InferenceCalculatorOptions.ext] {
      model_path: "%s"
      delegate { tflite {} }
    }
  }
}
node {
  calculator: "SplitTensorVectorCalculator"
  input_stream: "output_tensors"
  output_stream: "landmark_tensor"
  output_stream: "flag_tensor"
  options {
    [mediapipe.SplitVectorCalculatorOptions.ext] {
      ranges: { begin: 0 end: 1 }
      ranges: { begin: 1 end: 2 }
    }
  }
}
node {
  calculator: "TensorsToFloatsCalculator"
  input_stream: "TENSORS:landmark_tensor"
  output_stream: "FLOATS:landmarks"
}
node {
  calculator: "TensorsToFloatsCalculator"
  input_stream: "TENSORS:flag_tensor"
  output_stream: "FLOATS:flag"
}
"""


def main():
    model = sys.argv[1]
    pixels = sys.stdin.buffer.read()
    if len(pixels) != 192 * 192 * 3:
        sys.exit("expected 110592 bytes of RGB8")
    config = text_format.Parse(GRAPH % model, calculator_pb2.CalculatorGraphConfig())
    graph = mp.CalculatorGraph(graph_config=config)
    results = {}

    def keep(name):
        return lambda stream, packet: results.__setitem__(name, mp.packet_getter.get_float_list(packet))

    graph.observe_output_stream("landmarks", keep("landmarks"))
    graph.observe_output_stream("flag", keep("flag"))
    graph.start_run()
    frame = mp.Image(image_format=mp.ImageFormat.SRGB,
                     data=np.frombuffer(pixels, dtype=np.uint8).reshape(192, 192, 3).copy())
    graph.add_packet_to_input_stream("image", mp.packet_creator.create_image(frame).at(0))
    graph.close()
    for value in list(results["landmarks"]) + list(results["flag"]):
        print(repr(float(value)))


if __name__ == "__main__":
    main()
