package dev.qvgen.harness.plan;

import dev.qvgen.harness.cli.MergeCommand;
import dev.qvgen.reports.gate.Tolerances;
import dev.qvgen.suites.plan.Plans;
import dev.qvgen.suites.plan.RunPlan;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The job files under examples/ are what docs/SCALE-OUT.md says they are. */
class ExamplesTest {
    static final Path EXAMPLES = Path.of("examples");

    @SuppressWarnings("unchecked")
    static Map<String, Object> yaml(Path f) throws Exception {
        return (Map<String, Object>) new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(f));
    }

    @SuppressWarnings("unchecked")
    static <T> T at(Object o, String... path) {
        for (String k : path) {
            o = k.matches("\\d+") ? ((List<Object>) o).get(Integer.parseInt(k)) : ((Map<String, Object>) o).get(k);
        }
        return (T) o;
    }

    static String env(Map<String, Object> container, String name) {
        List<Map<String, Object>> env = at(container, "env");
        return env.stream().filter(e -> e.get("name").equals(name)).map(e -> String.valueOf(e.get("value")))
                .findFirst().orElseThrow(() -> new AssertionError("no env " + name));
    }

    @Test
    void kubernetesShardsJobIsIndexedAndConsistent() throws Exception {
        Map<String, Object> job = yaml(EXAMPLES.resolve("k8s/qvgen-shards-job.yaml"));
        assertEquals("batch/v1", job.get("apiVersion"));
        assertEquals("Job", job.get("kind"));
        Map<String, Object> spec = at(job, "spec");
        assertEquals("Indexed", spec.get("completionMode"));
        int completions = (Integer) spec.get("completions");
        assertTrue((Integer) spec.get("parallelism") <= completions);
        assertEquals("Never", at(spec, "template", "spec", "restartPolicy"));
        Map<String, Object> c = at(spec, "template", "spec", "containers", "0");
        assertEquals(Integer.toString(completions), env(c, "SHARDS"), "SHARDS must equal completions");
        Plans.load(env(c, "PLAN"));
        String script = String.join(" ", (List<String>) at(c, "args"));
        assertTrue(script.contains("--shard \"${JOB_COMPLETION_INDEX}/${SHARDS}\""), script);
        assertTrue(script.contains("shard-${JOB_COMPLETION_INDEX}"), script);
        volumesAreDeclared(at(spec, "template", "spec"));
    }

    @Test
    void kubernetesMergeJobReadsTheShardsDirectories() throws Exception {
        Map<String, Object> shards = yaml(EXAMPLES.resolve("k8s/qvgen-shards-job.yaml"));
        Map<String, Object> merge = yaml(EXAMPLES.resolve("k8s/qvgen-merge-job.yaml"));
        Map<String, Object> c = at(merge, "spec", "template", "spec", "containers", "0");
        Map<String, Object> sc = at(shards, "spec", "template", "spec", "containers", "0");
        assertEquals(env(sc, "PLAN"), env(c, "PLAN"));
        String script = String.join(" ", (List<String>) at(c, "args"));
        assertTrue(script.contains("./qvgen merge --out \"/runs/${PLAN}/merged\" /runs/\"${PLAN}\"/shard-*"), script);
        volumesAreDeclared(at(merge, "spec", "template", "spec"));
    }

    static void volumesAreDeclared(Map<String, Object> podSpec) {
        List<Map<String, Object>> volumes = at(podSpec, "volumes");
        List<Map<String, Object>> mounts = at(podSpec, "containers", "0", "volumeMounts");
        for (Map<String, Object> m : mounts) {
            assertTrue(volumes.stream().anyMatch(v -> v.get("name").equals(m.get("name"))), m.toString());
        }
    }

    @Test
    void slurmScriptsAreValidBashWithAZeroBasedArray() throws Exception {
        Path shards = EXAMPLES.resolve("slurm/qvgen-shards.sbatch");
        String text = Files.readString(shards);
        Matcher array = Pattern.compile("(?m)^#SBATCH --array=0-(\\d+)$").matcher(text);
        assertTrue(array.find(), "a 0-based array");
        assertTrue(text.contains("--shard \"$shard\""), text);
        assertTrue(text.contains("shard=\"${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT}\""), text);
        for (String f : List.of("slurm/qvgen-shards.sbatch", "slurm/qvgen-merge.sbatch")) {
            Process p = new ProcessBuilder("bash", "-n", EXAMPLES.resolve(f).toString()).redirectErrorStream(true)
                    .start();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), f + ": " + new String(p.getInputStream().readAllBytes()));
        }
        String merge = Files.readString(EXAMPLES.resolve("slurm/qvgen-merge.sbatch"));
        assertTrue(merge.contains("./qvgen merge --out \"$RUN_ROOT/merged\" \"$RUN_ROOT\"/shard-*"), merge);
        // The merge command line parses as qvgen's.
        new CommandLine(new MergeCommand()).parseArgs("--out", "runs/x/merged", "runs/x/shard-0", "runs/x/shard-1");
    }

    @Test
    void exampleTolerancesAndPlanAreValid() {
        Tolerances t = Tolerances.read(EXAMPLES.resolve("gate/tolerances.yaml"));
        assertEquals(0.05, t.maxDrop("dynamic_degree"));
        RunPlan p = Plans.load(EXAMPLES.resolve("plans/toy-quick.yaml").toString());
        assertEquals(2 * 8, p.expand().size());
    }
}
