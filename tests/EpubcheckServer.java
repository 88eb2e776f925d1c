// EPUBCheck as a server for one test process: reads an EPUB's path per line on stdin, writes its JSON
// report beside it (a.epub -> a.epubcheck.json), then prints "EPUBCHECK-DONE <path>" on stdout.
// Why: a Java start with EPUBCheck's classes loaded and warmed costs about 9 s of CPU, a check of a
// small book then about one; the suite checks some fifty EPUBs (tests/epubcheck_server.py).
import java.io.BufferedReader;
import java.io.InputStreamReader;

public class EpubcheckServer {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
        String epub;
        while ((epub = in.readLine()) != null) {
            if (epub.isEmpty()) continue;
            String report = epub.replaceAll("\\.epub$", "") + ".epubcheck.json";
            try {
                new com.adobe.epubcheck.tool.EpubChecker().run(new String[] {epub, "--json", report, "--quiet"});
            } catch (Throwable e) {
                e.printStackTrace();  // no report: the caller says so with this on stderr
            }
            System.out.println("EPUBCHECK-DONE " + epub);
            System.out.flush();
        }
    }
}
