from tests.reliability import figures


def pytest_terminal_summary(terminalreporter):
    if figures.FIGURES:
        figures.write()
        terminalreporter.section("reliability figures")
        for name, value in sorted(figures.FIGURES.items()):
            terminalreporter.write_line(f"{name}: {value}")
