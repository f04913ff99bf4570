import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Reference enrollment client of a Cameleer agent: JDK 17 or later, no other library, one file.
 *
 * <pre>
 * java AgentEnrollment.java &lt;api-base-url&gt; [&lt;bootstrap-token&gt;] [--state-dir DIR] [--name NAME]
 *      [--environment ENV] [--refresh-margin SECONDS] [--refreshes N]
 * </pre>
 *
 * It generates the agent's own Ed25519 key pair (the private key never leaves the state directory), registers the
 * public key with a bootstrap token, then keeps an access token fresh by trading JWTs it signs with that key
 * (assertions) for new access tokens before the current one expires. A restart finds the registration in the state
 * directory and never needs a bootstrap token again. The protocol is described in docs/agent-enrollment.md.
 *
 * Exit codes: 0 done (--refreshes reached), 1 unexpected failure, 2 usage, 3 LICENSE_REQUIRED,
 * 4 LICENSE_LIMIT_REACHED, 5 bootstrap token refused (expired, used up, revoked or not this platform's),
 * 6 agent refused (disabled, deleted, or its assertion refused), 7 PUBLIC_KEY_REGISTERED, 8 tenant not active or gone.
 * Tokens and the private key are never printed.
 */
public final class AgentEnrollment {
    static final int FAILED = 1, USAGE = 2, LICENSE_REQUIRED = 3, LICENSE_LIMIT_REACHED = 4, BOOTSTRAP_TOKEN_REFUSED = 5,
            AGENT_REFUSED = 6, KEY_ALREADY_REGISTERED = 7, TENANT_NOT_ACTIVE = 8;

    static final String USAGE_TEXT = String.join("\n",
            "usage: java AgentEnrollment.java <api-base-url> [<bootstrap-token>] [options]",
            "  <bootstrap-token>          needed for the first run only (or set CAMELEER_BOOTSTRAP_TOKEN)",
            "  --state-dir DIR            where the key and the registration are kept (default ./cameleer-agent)",
            "  --name NAME                the agent's name (default: this host's name)",
            "  --environment ENV          the environment it runs in, e.g. prod",
            "  --refresh-margin SECONDS   refresh this long before the access token expires (default 120)",
            "  --refreshes N              stop after N refreshes (default: run until stopped)",
            "exit codes: 0 done, 1 failure, 2 usage, 3 license required, 4 license limit reached, 5 bootstrap token refused,",
            "            6 agent refused (disabled), 7 public key already registered, 8 tenant not active");

    /** Assertions live one minute: the API accepts at most five, and a short life narrows a replay window. */
    static final long ASSERTION_LIFETIME_S = 60;
    static final long MAX_BACKOFF_S = 60;

    final String apiBaseUrl;
    final Path stateDir;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    String agentId;
    String tenantId;
    String assertionAudience;
    PrivateKey privateKey;
    /** The current access token (agent+jwt), held in memory only, and when it expires (epoch seconds). */
    String accessToken;
    long accessTokenExpiresAt;

    AgentEnrollment(String apiBaseUrl, Path stateDir) {
        this.apiBaseUrl = apiBaseUrl;
        this.stateDir = stateDir;
    }

    public static void main(String[] argv) {
        try {
            run(argv);
        } catch (Exit exit) {
            if (exit.getMessage() != null) {
                System.err.println(exit.getMessage());
            }
            System.exit(exit.code);
        } catch (Exception e) {
            System.err.println("ERROR " + e);
            System.exit(FAILED);
        }
    }

    static void run(String[] argv) throws Exception {
        Map<String, String> options = new LinkedHashMap<>();
        List<String> positionals = new ArrayList<>();
        List<String> known = List.of("--state-dir", "--name", "--environment", "--refresh-margin", "--refreshes");
        for (int i = 0; i < argv.length; i++) {
            String arg = argv[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                System.out.println(USAGE_TEXT);
                return;
            }
            if (arg.startsWith("--")) {
                if (!known.contains(arg) || i + 1 >= argv.length) {
                    throw new Exit(USAGE, (known.contains(arg) ? arg + " needs a value" : "unknown option " + arg) + "\n" + USAGE_TEXT);
                }
                options.put(arg, argv[++i]);
            } else {
                positionals.add(arg);
            }
        }
        if (positionals.isEmpty() || positionals.size() > 2) {
            throw new Exit(USAGE, USAGE_TEXT);
        }
        String baseUrl = positionals.get(0).replaceAll("/+$", "");
        if (!baseUrl.matches("https?://[^/?#\\s]+(/[^?#\\s]*)?")) {
            throw new Exit(USAGE, "the API base URL must be http(s)://host[:port][/path], not " + baseUrl + "\n" + USAGE_TEXT);
        }
        String bootstrapToken = positionals.size() == 2 ? positionals.get(1) : System.getenv("CAMELEER_BOOTSTRAP_TOKEN");
        long margin = number(options, "--refresh-margin", 120);
        long refreshes = number(options, "--refreshes", -1);
        String name = options.getOrDefault("--name", hostName());
        String environment = options.get("--environment");

        AgentEnrollment agent = new AgentEnrollment(baseUrl, Path.of(options.getOrDefault("--state-dir", "cameleer-agent")));
        boolean registered = agent.loadRegistration();
        if (!registered && (bootstrapToken == null || bootstrapToken.isBlank())) {
            throw new Exit(USAGE, "no registration in " + agent.stateDir + ": the first run needs a bootstrap token\n" + USAGE_TEXT);
        }
        agent.loadOrCreateKey();
        if (registered) {
            System.out.println("LOADED agent=" + agent.agentId + " tenant=" + agent.tenantId);
            agent.refresh();
            System.out.println("TOKEN expiresIn=" + (agent.accessTokenExpiresAt - now()));
        } else {
            agent.register(bootstrapToken.trim(), name, environment);
            System.out.println("REGISTERED agent=" + agent.agentId + " tenant=" + agent.tenantId + " expiresIn=" + (agent.accessTokenExpiresAt - now()));
        }
        agent.checkIn();
        for (long done = 0; refreshes < 0 || done < refreshes; ) {
            // Refresh before expiry, so the agent always holds a token the platform accepts.
            long wait = Math.max(1, agent.accessTokenExpiresAt - now() - margin);
            Thread.sleep(wait * 1000);
            agent.refresh();
            done++;
            System.out.println("REFRESHED count=" + done + " expiresIn=" + (agent.accessTokenExpiresAt - now()));
            agent.checkIn();
        }
    }

    // ---- the protocol ----

    /** POST /api/agents/register with the bootstrap token: the public key in, the agent's id and first access token out. */
    void register(String bootstrapToken, String name, String environment) throws Exception {
        StringBuilder body = new StringBuilder("{\"name\":").append(Json.quote(name)).append(",\"publicKey\":").append(Json.quote(readPublicKeyPem()));
        if (environment != null) {
            body.append(",\"environment\":").append(Json.quote(environment));
        }
        Response response = call("POST", "/api/agents/register", bootstrapToken, body.append('}').toString());
        if (response.status != 201) {
            throw registrationRefused(response);
        }
        Map<String, Object> registered = response.json();
        agentId = (String) registered.get("agentId");
        tenantId = (String) registered.get("tenantId");
        assertionAudience = (String) registered.get("assertionAudience");
        // Saved before anything else can fail: the bootstrap token's use is spent now.
        saveRegistration(name);
        takeAccessToken(registered);
    }

    /** POST /api/agents/token with a fresh assertion: proof of possession of the registered key, no shared secret. */
    void refresh() throws Exception {
        Response response = call("POST", "/api/agents/token", null, "{\"assertion\":" + Json.quote(assertion()) + "}");
        if (response.status == 200) {
            takeAccessToken(response.json());
            return;
        }
        if (response.status == 401) {
            throw whyRefused(response);
        }
        throw unexpected("POST /api/agents/token", response);
    }

    /** GET /api/agents/me with the access token: who the platform thinks we are, and the tenant's license token. */
    void checkIn() throws Exception {
        Response response = call("GET", "/api/agents/me", accessToken, null);
        if (response.status == 401) {
            throw new Exit(AGENT_REFUSED, "ERROR AGENT_DISABLED: the platform refuses this agent's token: an administrator disabled the agent"
                    + " (or deleted it). Ask them to enroll it again: a new state directory (a new key) and a new bootstrap token." + server(response));
        }
        if (response.status == 409 && "TENANT_NOT_ACTIVE".equals(response.problemCode())) {
            throw new Exit(TENANT_NOT_ACTIVE, "ERROR TENANT_NOT_ACTIVE: the tenant is suspended; try again once it is resumed." + server(response));
        }
        if (response.status != 200) {
            throw unexpected("GET /api/agents/me", response);
        }
        Map<String, Object> me = response.json();
        Map<?, ?> tenant = (Map<?, ?>) me.get("tenant");
        if (!"ACTIVE".equals(tenant.get("status"))) {
            throw new Exit(TENANT_NOT_ACTIVE, "ERROR TENANT_NOT_ACTIVE: the tenant " + tenant.get("slug") + " is " + tenant.get("status") + "; try again once it is active.");
        }
        // The license token (license+jwt) is what the agent hands to the server it reports to; verify it as
        // docs/license-format.md shows before trusting it. None means the tenant has no current license.
        System.out.println("CHECKED-IN tenant=" + tenant.get("slug") + " license=" + (me.get("license") instanceof String ? "present" : "none"));
    }

    /**
     * The assertion: a JWT signed with the agent's own key, header {alg: EdDSA, typ: JWT}, iss = sub = agentId,
     * aud = the audience the registration named, a jti never used before, iat now, exp one minute later.
     */
    String assertion() throws GeneralSecurityException {
        long iat = now();
        String header = Json.object("alg", "EdDSA", "typ", "JWT");
        String payload = "{\"iss\":" + Json.quote(agentId) + ",\"sub\":" + Json.quote(agentId) + ",\"aud\":" + Json.quote(assertionAudience)
                + ",\"jti\":" + Json.quote(UUID.randomUUID().toString()) + ",\"iat\":" + iat + ",\"exp\":" + (iat + ASSERTION_LIFETIME_S) + "}";
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String signingInput = b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "." + b64.encodeToString(payload.getBytes(StandardCharsets.UTF_8));
        Signature signer = Signature.getInstance("Ed25519");
        signer.initSign(privateKey);
        signer.update(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + b64.encodeToString(signer.sign());
    }

    void takeAccessToken(Map<String, Object> answer) {
        accessToken = (String) answer.get("accessToken");
        accessTokenExpiresAt = now() + ((Number) answer.get("expiresIn")).longValue();
    }

    /** What a refused registration means for the person running the agent, by the problem's code. */
    Exit registrationRefused(Response response) {
        String code = response.problemCode();
        if (response.status == 401) {
            return new Exit(BOOTSTRAP_TOKEN_REFUSED, "ERROR BOOTSTRAP_TOKEN_REFUSED: the bootstrap token is expired, used up, revoked or not this"
                    + " platform's; ask a tenant administrator for a new one." + server(response));
        }
        if ("LICENSE_REQUIRED".equals(code)) {
            return new Exit(LICENSE_REQUIRED, "ERROR LICENSE_REQUIRED: the tenant has no usable license; run again once one is issued"
                    + " (the bootstrap token was not used up)." + server(response));
        }
        if ("LICENSE_LIMIT_REACHED".equals(code)) {
            return new Exit(LICENSE_LIMIT_REACHED, "ERROR LICENSE_LIMIT_REACHED: the tenant's license allows no more agents; disable one"
                    + " or raise the license's maxAgents, then run again (the bootstrap token was not used up)." + server(response));
        }
        if ("PUBLIC_KEY_REGISTERED".equals(code)) {
            return new Exit(KEY_ALREADY_REGISTERED, "ERROR PUBLIC_KEY_REGISTERED: an agent already registered the key in " + stateDir
                    + " (a copied state directory, or an earlier run whose answer was lost). Enroll with a new state directory." + server(response));
        }
        if ("TENANT_NOT_ACTIVE".equals(code) || response.status == 404) {
            return new Exit(TENANT_NOT_ACTIVE, "ERROR TENANT_NOT_ACTIVE: the tenant is not active (suspended, still provisioning or deleted)." + server(response));
        }
        if (response.status == 400) {
            return new Exit(USAGE, "ERROR " + code + ": the registration was refused as invalid." + server(response));
        }
        return unexpected("POST /api/agents/register", response);
    }

    /**
     * A refused assertion (401) says nothing about why, on purpose. While the last access token is still valid,
     * GET /api/agents/me tells a disabled agent (401) from a tenant that is no longer active.
     */
    Exit whyRefused(Response refusal) throws Exception {
        if (accessToken != null && accessTokenExpiresAt > now()) {
            checkIn();
        }
        return new Exit(AGENT_REFUSED, "ERROR AGENT_REFUSED: the platform refused this agent's assertion: the agent is disabled or deleted,"
                + " its tenant is not active, or this host's clock is off by more than 5 seconds." + server(refusal));
    }

    static Exit unexpected(String what, Response response) {
        return new Exit(FAILED, "ERROR " + what + " answered " + response.status + "." + server(response));
    }

    static String server(Response response) {
        String code = response.problemCode();
        Object detail = response.problem().get("detail");
        return code == null ? "" : " (server: " + code + (detail == null ? "" : ": " + detail) + ")";
    }

    // ---- HTTP ----

    record Response(int status, String body) {
        Map<String, Object> json() {
            Object parsed = Json.parse(body);
            if (!(parsed instanceof Map)) {
                throw new Exit(FAILED, "ERROR the API answered " + status + " with a body that is not a JSON object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> object = (Map<String, Object>) parsed;
            return object;
        }

        /** The RFC 9457 problem document of an error answer, or an empty map. */
        Map<String, Object> problem() {
            try {
                return json();
            } catch (RuntimeException e) {
                return Map.of();
            }
        }

        String problemCode() {
            Object code = problem().get("code");
            return code instanceof String ? (String) code : null;
        }
    }

    /**
     * One request, retried with exponential backoff (honouring Retry-After) while the API is unreachable, rate limits
     * (429) or fails (5xx): an outage of the control plane must not take the agent down.
     */
    Response call(String method, String path, String bearer, String json) throws InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(apiBaseUrl + path))
                .timeout(Duration.ofSeconds(30))
                .header("Accept", "application/json, application/problem+json");
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        request.method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        for (long backoff = 1; ; backoff = Math.min(backoff * 2, MAX_BACKOFF_S)) {
            String trouble;
            long wait = backoff;
            try {
                HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                if (response.statusCode() != 429 && response.statusCode() < 500) {
                    return new Response(response.statusCode(), response.body());
                }
                trouble = method + " " + path + " answered " + response.statusCode();
                wait = response.headers().firstValue("Retry-After").filter(s -> s.matches("\\d{1,4}")).map(Long::parseLong).orElse(backoff);
            } catch (IOException e) {
                trouble = method + " " + path + " failed: " + e;
            }
            System.err.println("RETRY in " + wait + " s: " + trouble);
            Thread.sleep(wait * 1000);
        }
    }

    // ---- state: the key pair and the registration, kept across restarts ----

    Path keyFile() {
        return stateDir.resolve("agent.key.pem");
    }

    Path publicKeyFile() {
        return stateDir.resolve("agent.pub.pem");
    }

    Path registrationFile() {
        return stateDir.resolve("agent.json");
    }

    /** Reads the agent's private key, or generates the pair on the first run (PKCS#8 and SPKI PEM, private key 0600). */
    void loadOrCreateKey() throws IOException, GeneralSecurityException {
        if (Files.exists(keyFile())) {
            byte[] der = pemBody(Files.readString(keyFile()), "PRIVATE KEY");
            privateKey = KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
            return;
        }
        createPrivateDirectory(stateDir);
        KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        writeFile(publicKeyFile(), pem("PUBLIC KEY", pair.getPublic().getEncoded()), false);
        writeFile(keyFile(), pem("PRIVATE KEY", pair.getPrivate().getEncoded()), true);
        privateKey = pair.getPrivate();
    }

    String readPublicKeyPem() throws IOException {
        return Files.readString(publicKeyFile());
    }

    boolean loadRegistration() throws IOException {
        if (!Files.exists(registrationFile())) {
            return false;
        }
        Object parsed = Json.parse(Files.readString(registrationFile()));
        if (!(parsed instanceof Map<?, ?> saved) || !(saved.get("agentId") instanceof String id) || !(saved.get("assertionAudience") instanceof String aud)) {
            throw new Exit(FAILED, "ERROR " + registrationFile() + " is not a registration this client wrote");
        }
        agentId = id;
        tenantId = String.valueOf(saved.get("tenantId"));
        assertionAudience = aud;
        return true;
    }

    void saveRegistration(String name) throws IOException {
        byte[] spki = pemBody(readPublicKeyPem(), "PUBLIC KEY");
        // The raw key is the last 32 bytes of its SPKI encoding: the JWK x the agent lists show.
        String x = Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOfRange(spki, spki.length - 32, spki.length));
        String json = "{\"agentId\":" + Json.quote(agentId) + ",\"tenantId\":" + Json.quote(tenantId) + ",\"name\":" + Json.quote(name)
                + ",\"assertionAudience\":" + Json.quote(assertionAudience) + ",\"publicKey\":" + Json.object("kty", "OKP", "crv", "Ed25519", "x", x) + "}\n";
        writeFile(registrationFile(), json, false);
    }

    static void createPrivateDirectory(Path dir) throws IOException {
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            Files.createDirectories(dir); // not POSIX (Windows): the directory's ACL protects it
        } catch (FileAlreadyExistsException e) {
            throw new Exit(USAGE, "ERROR " + dir + " exists and is not a directory");
        }
    }

    /** Written to a temporary file first and moved into place, so a crash never leaves half a file. */
    static void writeFile(Path file, String text, boolean secret) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        try {
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(temporary);
        }
        Files.writeString(temporary, text, StandardCharsets.UTF_8);
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static String pem(String label, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
    }

    static byte[] pemBody(String pem, String label) {
        String begin = "-----BEGIN " + label + "-----", end = "-----END " + label + "-----";
        int from = pem.indexOf(begin), to = pem.indexOf(end);
        if (from < 0 || to < from) {
            throw new Exit(FAILED, "ERROR not a PEM " + label);
        }
        return Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
    }

    // ---- small helpers ----

    static long now() {
        return System.currentTimeMillis() / 1000;
    }

    static long number(Map<String, String> options, String name, long fallback) {
        String value = options.get(name);
        if (value == null) {
            return fallback;
        }
        if (!value.matches("\\d{1,9}")) {
            throw new Exit(USAGE, name + " takes a whole number, not " + value + "\n" + USAGE_TEXT);
        }
        return Long.parseLong(value);
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "agent";
        }
    }

    /** Ends the run with an exit code and a message for the person running the agent. */
    static final class Exit extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int code;

        Exit(int code, String message) {
            super(message, null, false, false);
            this.code = code;
        }
    }

    /** Just enough JSON for this protocol: objects, arrays, strings, numbers, booleans, null. Use Jackson in a real agent. */
    static final class Json {
        private final String text;
        private int at;

        private Json(String text) {
            this.text = text;
        }

        static Object parse(String text) {
            Json parser = new Json(text);
            Object value = parser.value();
            parser.space();
            if (parser.at != text.length()) {
                throw new IllegalArgumentException("trailing characters in JSON");
            }
            return value;
        }

        static String quote(String value) {
            StringBuilder out = new StringBuilder("\"");
            for (char c : value.toCharArray()) {
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    default -> out.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
                }
            }
            return out.append('"').toString();
        }

        /** {"k1":"v1","k2":"v2",...} of string pairs. */
        static String object(String... pairs) {
            StringBuilder out = new StringBuilder("{");
            for (int i = 0; i < pairs.length; i += 2) {
                out.append(i == 0 ? "" : ",").append(quote(pairs[i])).append(':').append(quote(pairs[i + 1]));
            }
            return out.append('}').toString();
        }

        private void space() {
            while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0) {
                at++;
            }
        }

        private char peek() {
            space();
            if (at >= text.length()) {
                throw new IllegalArgumentException("unexpected end of JSON");
            }
            return text.charAt(at);
        }

        private void expect(char c) {
            if (peek() != c) {
                throw new IllegalArgumentException("expected " + c + " at " + at);
            }
            at++;
        }

        private Object value() {
            char c = peek();
            if (c == '{') {
                Map<String, Object> object = new LinkedHashMap<>();
                at++;
                if (peek() == '}') {
                    at++;
                    return object;
                }
                while (true) {
                    String key = string();
                    expect(':');
                    object.put(key, value());
                    if (peek() != ',') {
                        break;
                    }
                    at++;
                }
                expect('}');
                return object;
            }
            if (c == '[') {
                List<Object> array = new ArrayList<>();
                at++;
                if (peek() == ']') {
                    at++;
                    return array;
                }
                while (true) {
                    array.add(value());
                    if (peek() != ',') {
                        break;
                    }
                    at++;
                }
                expect(']');
                return array;
            }
            if (c == '"') {
                return string();
            }
            for (String literal : new String[] {"true", "false", "null"}) {
                if (text.startsWith(literal, at)) {
                    at += literal.length();
                    return literal.equals("null") ? null : Boolean.valueOf(literal);
                }
            }
            int start = at;
            while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
                at++;
            }
            if (start == at) {
                throw new IllegalArgumentException("unexpected character at " + at);
            }
            return Double.valueOf(text.substring(start, at));
        }

        private String string() {
            expect('"');
            StringBuilder out = new StringBuilder();
            while (true) {
                if (at >= text.length()) {
                    throw new IllegalArgumentException("unterminated string");
                }
                char c = text.charAt(at++);
                if (c == '"') {
                    return out.toString();
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                char escaped = text.charAt(at++);
                switch (escaped) {
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'u' -> {
                        out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                        at += 4;
                    }
                    default -> out.append(escaped);
                }
            }
        }
    }
}
