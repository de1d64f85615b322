package dev.qvgen.layers.nn;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A DJL block that keeps the plain child and parameter names of the reference model.
 *
 * <p>DJL prefixes child names with their index ("01attn1"), which would break loading weights
 * by their published names ("blocks.0.attn1.to_q.weight"); this base class keeps a second,
 * unprefixed registry and declares the shape each parameter must have, so a checkpoint can be
 * validated tensor by tensor before anything is assigned.
 */
public abstract class Module extends AbstractBlock {

    private final Map<String, Block> namedChildren = new LinkedHashMap<>();
    private final Map<String, Parameter> namedParams = new LinkedHashMap<>();
    private final Map<String, Shape> declaredShapes = new LinkedHashMap<>();

    protected <B extends Block> B child(String name, B block) {
        namedChildren.put(name, block);
        return addChildBlock(name, block);
    }

    protected Parameter param(String name, Shape shape) {
        Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).build();
        namedParams.put(name, p);
        declaredShapes.put(name, shape);
        return addParameter(p);
    }

    /**
     * Names of modules or parameters whose weights stay float32 when the model is cast to half
     * precision (diffusers' {@code _keep_in_fp32_modules}): {@link Precision#cast} keeps every
     * parameter whose dotted name has one of them as a component. Empty unless a model says so.
     */
    public List<String> keepInFloat32() {
        return List.of();
    }

    public Map<String, Block> namedChildren() {
        return Collections.unmodifiableMap(namedChildren);
    }

    /** Direct parameters with the shape a checkpoint must provide. */
    public Map<String, Shape> declaredShapes() {
        return Collections.unmodifiableMap(declaredShapes);
    }

    public Map<String, Parameter> directParameters() {
        return Collections.unmodifiableMap(namedParams);
    }

    /** Every parameter below this module, keyed by its dotted reference name. */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", this, out);
        return out;
    }

    /** Every module below this one (itself included, as ""), keyed by its dotted path. */
    public Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", this, out);
        return out;
    }

    private static void collect(String prefix, Module m, Map<String, Parameter> out) {
        m.namedParams.forEach((k, v) -> out.put(prefix + k, v));
        m.namedChildren.forEach((k, v) -> {
            if (v instanceof Module child) {
                collect(prefix + k + ".", child, out);
            }
        });
    }

    private static void collectModules(String path, Module m, Map<String, Module> out) {
        out.put(path, m);
        m.namedChildren.forEach((k, v) -> {
            if (v instanceof Module child) {
                collectModules(path.isEmpty() ? k : path + "." + k, child, out);
            }
        });
    }

    /** Shape of a declared parameter, for callers that look a tensor up by name. */
    public Shape declaredShape(String name) {
        return declaredShapes.get(name);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        throw new UnsupportedOperationException(
                getClass().getSimpleName() + " is called through its typed forward method");
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " infers no shapes");
    }
}
