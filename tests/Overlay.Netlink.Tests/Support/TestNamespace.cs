using System.Diagnostics;
using System.Text.Json;

namespace Overlay.Netlink.Tests.Support;

/// <summary>
/// A fresh named network namespace (<c>ovl-nl-PID-RANDOM</c>, created through the library so that
/// <c>ip -n NAME</c> sees it), with a client inside; deleted on dispose, also when the test failed.
/// Leftovers of dead test processes are removed on first use.
/// </summary>
public sealed class TestNamespace : IDisposable
{
    private static int s_cleaned;

    private TestNamespace(string name, NetworkNamespace ns, NetlinkClient client)
    {
        Name = name;
        Namespace = ns;
        Client = client;
    }

    public string Name { get; }

    public NetworkNamespace Namespace { get; }

    public NetlinkClient Client { get; }

    public static TestNamespace Create(NetlinkClientOptions? options = null)
    {
        CleanLeftovers();
        string name = $"ovl-nl-{Environment.ProcessId}-{Random.Shared.Next(0x100000, 0xFFFFFF):x6}";
        NetworkNamespace ns = NetworkNamespace.Create(name);
        try
        {
            return new TestNamespace(name, ns, ns.OpenNetlinkClient(options));
        }
        catch
        {
            ns.Dispose();
            NetworkNamespace.Delete(name);
            throw;
        }
    }

    /// <summary>Runs <c>ip -n NAME ARGS</c> and returns stdout; fails the test on a non-zero exit.</summary>
    public string Ip(string arguments) => Run("ip", $"-n {Name} {arguments}");

    /// <summary>Runs <c>ip -n NAME -j ARGS</c> and parses the JSON.</summary>
    public JsonElement IpJson(string arguments) => ParseJson(Run("ip", $"-n {Name} -j {arguments}"));

    /// <summary>Runs <c>bridge -n NAME -j ARGS</c> and parses the JSON.</summary>
    public JsonElement BridgeJson(string arguments) => ParseJson(Run("bridge", $"-n {Name} -j {arguments}"));

    /// <summary>Runs a command inside the namespace (<c>ip netns exec</c>).</summary>
    public string Exec(string command) => Run("ip", $"netns exec {Name} {command}");

    public int LinkIndex(string device) => IpJson($"link show dev {device}")[0].GetProperty("ifindex").GetInt32();

    /// <summary>Creates the usual underlay (veth ul0/ul1, 198.18.0.1/24) and a vxlan device vx0 with the ip tool.</summary>
    public (int Underlay, int Vxlan) CreateUnderlayAndVxlan()
    {
        Ip("link add ul0 type veth peer name ul1");
        Ip("link set ul0 up");
        Ip("link set ul1 up");
        Ip("addr add 198.18.0.1/24 dev ul0");
        Ip("link add vx0 type vxlan id 42 local 198.18.0.1 dev ul0 dstport 4789 nolearning");
        Ip("link set vx0 up");
        return (LinkIndex("ul0"), LinkIndex("vx0"));
    }

    public void Dispose()
    {
        Client.Dispose();
        Namespace.Dispose();
        NetworkNamespace.Delete(Name);
    }

    public static string Run(string file, string arguments)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {arguments} failed ({process.ExitCode}): {stderr}");
        return stdout.Result;
    }

    private static JsonElement ParseJson(string text)
    {
        using JsonDocument document = JsonDocument.Parse(string.IsNullOrWhiteSpace(text) ? "[]" : text);
        return document.RootElement.Clone();
    }

    private static void CleanLeftovers()
    {
        if (Interlocked.Exchange(ref s_cleaned, 1) != 0 || !Directory.Exists(NetworkNamespace.NamedNamespaceDirectory))
        {
            return;
        }

        foreach (string path in Directory.GetFiles(NetworkNamespace.NamedNamespaceDirectory, "ovl-nl-*"))
        {
            string[] parts = Path.GetFileName(path).Split('-');
            if (parts.Length == 4 && int.TryParse(parts[2], out int pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                NetworkNamespace.Delete(Path.GetFileName(path));
            }
        }
    }
}
