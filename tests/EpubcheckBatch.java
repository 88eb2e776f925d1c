// EPUBCheck on many EPUBs in one Java start (the start is most of the time of a small book's check):
// java -cp epubcheck.jar EpubcheckBatch.java a.epub b.epub ... writes a.epubcheck.json, b.epubcheck.json...
public class EpubcheckBatch {
    public static void main(String[] args) throws Exception {
        for (String epub : args) {
            String report = epub.replaceAll("\\.epub$", "") + ".epubcheck.json";
            new com.adobe.epubcheck.tool.EpubChecker().run(new String[] {epub, "--json", report, "--quiet"});
        }
    }
}
