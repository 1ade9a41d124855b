package dev.sptsrag.inference.tensor;

import java.util.Optional;
import java.util.Set;

/** Named tensors of a model file (a GGUF file, or a Hugging Face folder of safetensors). */
public interface TensorSource {
    Optional<WeightTensor> find(String name);

    Set<String> names();

    /** Where the tensors come from, for error messages. */
    String description();
}
