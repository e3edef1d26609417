package mdev.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web view in a real browser (Debian's Chromium, headless, driven through ChromeDriver by
 * Selenium) against the running jar: the token typed in, a device created from the page and
 * listed, a display device's plane shown as a live image, the vendor bundle stopped from the
 * page taking its devices and parent with it, then started again. A screenshot of the page is
 * left in target/web-view.png.
 */
class WebBrowserIT {
    private static final String DEVICE = "3eb0c0de-0000-4000-8000-0000000000b1";
    private static final String DISPLAY = "3eb0c0de-0000-4000-8000-0000000000b2";

    /** Chromium and ChromeDriver, installed by tools/browser-packages.sh on first use. */
    private static void installBrowser() throws Exception {
        Process install = new ProcessBuilder("sh", Path.of(System.getProperty("mdev.tools", "../tools")).resolve("browser-packages.sh").toString())
                .redirectErrorStream(true).start();
        String said = new String(install.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (install.waitFor() != 0) {
            throw new AssertionError("the browser test cannot run here: " + said.strip());
        }
    }

    @Test
    void createStopAndStartFromThePage(@TempDir Path dir) throws Exception {
        installBrowser();
        Distribution jar = new Distribution(dir);
        try (Distribution.Shell shell = jar.openShell()) {
            String url = shell.command("web:url").strip().lines().findFirst().orElseThrow();
            String token = Files.readString(Path.of(shell.command("web:token").strip())).strip();
            shell.command("mdev:create mdpy mdpy-vga " + DISPLAY);
            shell.command("vfio:open " + DISPLAY);
            // four white pixels at the top left of the framebuffer (BAR0), XRGB8888
            shell.command("vfio:write " + DISPLAY + " bar0 0 0xff 0xff 0xff 0 0xff 0xff 0xff 0 0xff 0xff 0xff 0 0xff 0xff 0xff 0");

            WebDriver browser = browser(dir);
            try {
                WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
                browser.get(url);
                wait.until(b -> b.findElement(By.id("mdev-host")).getAttribute("data-updated") != null);
                assertThat(browser.getTitle()).isEqualTo("mdev-osgi host");

                WebElement tokenField = browser.findElement(By.id("token"));
                tokenField.sendKeys(token);
                tokenField.sendKeys(org.openqa.selenium.Keys.TAB);

                retry(wait, () -> new Select(browser.findElement(By.id("create-parent"))).selectByValue("mtty"));
                retry(wait, () -> new Select(browser.findElement(By.id("create-type"))).selectByValue("mtty-2"));
                browser.findElement(By.id("create-uuid")).sendKeys(DEVICE);
                assertThat(browser.findElement(By.id("create-uuid")).getAttribute("value")).as("typed while the page redraws")
                        .isEqualTo(DEVICE);
                browser.findElement(By.id("create-button")).click();
                wait.withMessage(() -> "the created device on the page; status '" + text(browser, "#status") + "', parent '"
                        + browser.findElement(By.id("create-parent")).getAttribute("value") + "', type '"
                        + browser.findElement(By.id("create-type")).getAttribute("value") + "'")
                        .until(b -> !b.findElements(By.cssSelector("#devices tr[data-uuid='" + DEVICE + "']")).isEmpty());
                assertThat(browser.findElement(By.id("status")).getText()).isEqualTo("created a mtty-2 on mtty");
                assertThat(shell.command("mdev:list")).contains(DEVICE + " mtty mtty-2 (vfio, bound, open 0)");

                // the display device's plane, as the page shows it: a PNG of its 640x480 framebuffer
                wait.until(b -> (Boolean) ((JavascriptExecutor) b).executeScript(
                        "const i = document.querySelector(\"#displays figure[data-uuid='" + DISPLAY + "'] img\");"
                                + "return i !== null && i.complete && i.naturalWidth === 640;"));
                String writes = text(browser, "#devices tr[data-uuid='" + DISPLAY + "'] td:nth-child(8)");
                assertThat(Long.parseLong(writes)).as("the write counter").isGreaterThanOrEqualTo(1);

                Path target = Path.of(System.getProperty("mdev.jar", "target/mdev-osgi.jar")).getParent();
                Files.write(target.resolve("web-view.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));

                // stop the vendor bundle from the page: its devices and parent go
                retry(wait, () -> browser.findElement(By.cssSelector("#bundles tr[data-name='samples.mtty'] button")).click());
                wait.until(b -> b.findElements(By.cssSelector("#devices tr[data-uuid='" + DEVICE + "']")).isEmpty());
                wait.until(b -> b.findElements(By.cssSelector("#parents tr[data-parent='mtty']")).isEmpty());
                assertThat(text(browser, "#bundles tr[data-name='samples.mtty'] td.state")).isEqualTo("resolved");
                assertThat(shell.command("mdev:list")).doesNotContain(DEVICE);

                // and start it again: the parent is back
                retry(wait, () -> browser.findElement(By.cssSelector("#bundles tr[data-name='samples.mtty'] button")).click());
                wait.until(b -> !b.findElements(By.cssSelector("#parents tr[data-parent='mtty']")).isEmpty());
                assertThat(text(browser, "#bundles tr[data-name='samples.mtty'] td.state")).isEqualTo("active");

                // without the token, the page says why a change is refused
                ((JavascriptExecutor) browser).executeScript("document.getElementById('token').value = 'wrong';");
                retry(wait, () -> browser.findElement(By.cssSelector("#devices tr[data-uuid='" + DISPLAY + "'] button.remove")).click());
                wait.until(b -> b.findElement(By.id("status")).getText().startsWith("EACCES: changes need"));
                assertThat(shell.command("mdev:list")).contains(DISPLAY);
            } finally {
                browser.quit();
            }
        }
    }

    private static String text(WebDriver browser, String css) {
        return browser.findElement(By.cssSelector(css)).getText();
    }

    /** The page redraws when the host changes: an element found a moment ago may be gone; find it again. */
    private static void retry(WebDriverWait wait, Runnable action) {
        wait.until(b -> {
            try {
                action.run();
                return true;
            } catch (StaleElementReferenceException | org.openqa.selenium.NoSuchElementException redrawn) {
                return false;
            }
        });
    }

    /** Headless Chromium whose profile, cache and home are under {@code dir}, never the user's. */
    private static WebDriver browser(Path dir) throws Exception {
        Path home = Files.createDirectories(dir.resolve("browser-home"));
        ChromeOptions options = new ChromeOptions();
        Path binary = Path.of("/usr/lib/chromium/chromium");
        options.setBinary(Files.isExecutable(binary) ? binary.toString() : "/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--user-data-dir=" + home.resolve("profile"), "--window-size=1280,1000", "--no-first-run",
                "--disable-extensions", "--disable-background-networking");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File("/usr/bin/chromedriver"))
                .usingAnyFreePort()
                .withEnvironment(Map.of("HOME", home.toString(), "XDG_CONFIG_HOME", home.resolve("config").toString(),
                        "XDG_CACHE_HOME", home.resolve("cache").toString()))
                .withLogOutput(java.io.OutputStream.nullOutputStream())
                .build();
        return new ChromeDriver(service, options);
    }

    @Test
    void thePageNeverWritesMarkup() throws Exception {
        // what the page shows comes from device and bundle names: it sets text, never HTML
        String app;
        try (var in = WebBrowserIT.class.getResourceAsStream("/web/app.js")) {
            app = in == null ? Files.readString(Path.of("../mdev.web/src/main/resources/web/app.js"))
                    : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(app).doesNotContain("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(");
        assertThat(List.of(app.split("\n"))).anyMatch(l -> l.contains("createTextNode"));
    }
}
