package dev.sptsrag.service.architecture;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The layering docs/architecture.md describes, checked on the main classes of all three modules (the
 * service's test class path holds them all): no package cycles anywhere, and dependencies pointing one
 * way only — service → engine and retrieval, never back; retrieval never → engine; backends never →
 * the model logic that runs on them.
 */
@AnalyzeClasses(packages = "dev.sptsrag", importOptions = DependencyRulesTest.MainClassesOnly.class)
class DependencyRulesTest {

    /** Main classes, whether a module is on the class path as a folder (IDE, -am) or a jar (verify); no tests. */
    static final class MainClassesOnly implements ImportOption {
        private final ImportOption tests = new DoNotIncludeTests();

        @Override
        public boolean includes(Location location) {
            return tests.includes(location) && !location.contains("-tests.jar");
        }
    }

    @ArchTest
    static final ArchRule noPackageCycles = slices().matching("dev.sptsrag.(**)").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule retrievalNeverUsesTheEngine = noClasses().that().resideInAPackage("dev.sptsrag.retrieval..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.sptsrag.inference..", "dev.sptsrag.service..");

    @ArchTest
    static final ArchRule theEngineNeverUsesTheServiceOrRetrieval = noClasses().that()
            .resideInAPackage("dev.sptsrag.inference..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.sptsrag.service..", "dev.sptsrag.retrieval..");

    @ArchTest
    static final ArchRule backendsHoldOpsNotModelLogic = noClasses().that()
            .resideInAPackage("dev.sptsrag.inference.backend..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.sptsrag.inference.engine..",
                    "dev.sptsrag.inference.decoder..", "dev.sptsrag.inference.spts..", "dev.sptsrag.inference.eval..",
                    "dev.sptsrag.inference.cli..");

    @ArchTest
    static final ArchRule theEngineAndSptsStayOutOfTheCommandLine = noClasses().that()
            .resideInAnyPackage("dev.sptsrag.inference.decoder..", "dev.sptsrag.inference.engine..",
                    "dev.sptsrag.inference.spts..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.sptsrag.inference.cli..", "dev.sptsrag.inference.eval..");
}
