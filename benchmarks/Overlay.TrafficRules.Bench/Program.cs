// Traffic rules benchmark (privileged): in a fresh network namespace per run,
//   install  - flannel's forward and masquerade rule sets for IPv4 and IPv6 (4 transactions, 16 rules)
//              through NftablesTrafficRules.ApplyAsync (nf_tables over netlink, first call: includes
//              opening the sockets and subscribing to notifications), against `nft -f` of the same
//              rules (process wall time, file written before timing);
//   repair   - one masquerade rule deleted (over netlink, by handle) until the Repaired event
//              (notification received, drift found by a dump, set re-applied), against re-running
//              `nft -f` of that family's masquerade set (what an operator or a resync would do).
// Prints min/median/max over --runs runs (default 3).
//
//   sudo dotnet run -c Release --project benchmarks/Overlay.TrafficRules.Bench -- [--runs 3]

using System.Diagnostics;
using System.Globalization;
using System.Net;
using Overlay.Hosting;
using Overlay.Netlink;
using Overlay.Subnets;

int runs = 3;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--runs")
    {
        runs = int.Parse(args[++i], CultureInfo.InvariantCulture);
    }
}

if (!Environment.IsPrivilegedProcess)
{
    Console.Error.WriteLine("This benchmark creates network namespaces: run it as root.");
    return 1;
}

var config = NetworkConfig.Parse("""{"Network":"198.19.0.0/16","IPv6Network":"2001:db8:19::/48","EnableIPv6":true,"EnableNFTables":true,"Backend":{"Type":"vxlan"}}""");
var lease = new Lease(IPNetwork.Parse("198.19.3.0/24"), IPNetwork.Parse("2001:db8:19:3::/64"), new LeaseAttributes { PublicIP = IPAddress.Parse("198.18.1.1"), BackendType = "vxlan" }, DateTimeOffset.UtcNow.AddHours(1));
var request = new TrafficRulesRequest(config, lease, new SubnetEnvNetworks([], [], [], [])) { Masquerade = true, Forward = true };
string work = Directory.CreateTempSubdirectory("ovl-trbench-").FullName;
string allFile = Path.Combine(work, "all.nft");
string masqFile = Path.Combine(work, "masq4.nft");
File.WriteAllText(allFile, NftText(true) + NftText(false));
File.WriteAllText(masqFile, MasqText("ip", "flannel-ipv4", "198.19.0.0/16", "198.19.3.0/24", "224.0.0.0/4"));

var installOurs = new List<double>();
var installNft = new List<double>();
var repairOurs = new List<double>();
var repairNft = new List<double>();
try
{
    for (int r = 0; r < runs; r++)
    {
        installOurs.Add(await InNamespaceAsync(async ns =>
        {
            var sw = Stopwatch.StartNew();
            await using var rules = new NftablesTrafficRules(new TrafficRulesOptions { NetlinkOptions = new NetlinkClientOptions { NetworkNamespace = ns } });
            await rules.ApplyAsync(request);
            double installed = sw.Elapsed.TotalMilliseconds;

            // Repair: delete rule 3 of postrtg over netlink and wait for the Repaired event.
            using NetlinkClient client = ns.OpenNetlinkClient();
            ulong handle = 0;
            int i = 0;
            await foreach (NftRule rule in client.NftRulesAsync(NftFamily.IPv4, "flannel-ipv4", "postrtg"))
            {
                if (i++ == 2)
                {
                    handle = rule.Handle!.Value;
                }
            }

            var repaired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            rules.Repaired += (_, _) => repaired.TrySetResult();
            sw.Restart();
            await client.NftApplyAsync(new NftTransaction().DeleteRule(NftFamily.IPv4, "flannel-ipv4", "postrtg", handle));
            await repaired.Task.WaitAsync(TimeSpan.FromSeconds(30));
            repairOurs.Add(sw.Elapsed.TotalMilliseconds);
            return installed;
        }));

        installNft.Add(await InNamespaceAsync(ns => Task.FromResult(Nft(ns, allFile))));
        repairNft.Add(await InNamespaceAsync(ns =>
        {
            Nft(ns, allFile);
            return Task.FromResult(Nft(ns, masqFile));
        }));
    }

    Console.WriteLine($"Traffic rules (flannel's forward + masquerade sets, IPv4 + IPv6: 4 transactions, 16 rules), {runs} runs, kernel {KernelInfo.Release}, {Environment.ProcessorCount} CPUs; ms min/median/max");
    Console.WriteLine($"install  nf_tables over netlink (NftablesTrafficRules.ApplyAsync)   {Stats(installOurs)}");
    Console.WriteLine($"install  nft -f (process wall time)                                 {Stats(installNft)}");
    Console.WriteLine($"repair   deleted rule -> Repaired event (notification, dump, apply) {Stats(repairOurs)}");
    Console.WriteLine($"repair   nft -f of the IPv4 masquerade set (process wall time)      {Stats(repairNft)}");
    return 0;
}
finally
{
    Directory.Delete(work, recursive: true);
}

static string Stats(List<double> values)
{
    var sorted = values.Order().ToList();
    return string.Create(CultureInfo.InvariantCulture, $"{sorted[0],8:F2} / {sorted[sorted.Count / 2],8:F2} / {sorted[^1],8:F2}");
}

static async Task<double> InNamespaceAsync(Func<NetworkNamespace, Task<double>> body)
{
    string name = $"ovl-trbench-{Environment.ProcessId}-{Random.Shared.Next(0x10000, 0xFFFFF):x5}";
    using NetworkNamespace ns = NetworkNamespace.Create(name);
    try
    {
        return await body(ns);
    }
    finally
    {
        NetworkNamespace.Delete(name);
    }
}

static double Nft(NetworkNamespace ns, string file)
{
    var info = new ProcessStartInfo("nft", ["-f", file]) { UseShellExecute = false, RedirectStandardError = true };
    var sw = Stopwatch.StartNew();
    using Process p = ns.Run(() => Process.Start(info)!);
    string error = p.StandardError.ReadToEnd();
    p.WaitForExit();
    double ms = sw.Elapsed.TotalMilliseconds;
    if (p.ExitCode != 0)
    {
        throw new InvalidOperationException($"nft -f {file} failed: {error}");
    }

    return ms;
}

static string NftText(bool v4) => v4
    ? ForwardText("ip", "flannel-ipv4", "198.19.0.0/16") + MasqText("ip", "flannel-ipv4", "198.19.0.0/16", "198.19.3.0/24", "224.0.0.0/4")
    : ForwardText("ip6", "flannel-ipv6", "2001:db8:19::/48") + MasqText("ip6", "flannel-ipv6", "2001:db8:19::/48", "2001:db8:19:3::/64", "ff00::/8");

static string ForwardText(string f, string t, string c) => $$"""
    add table {{f}} {{t}} { comment "rules for {{t}}" ; }
    add chain {{f}} {{t}} forward { type filter hook forward priority filter ; policy accept ; comment "chain to accept flannel traffic" ; }
    flush chain {{f}} {{t}} forward
    add rule {{f}} {{t}} forward {{f}} saddr {{c}} accept
    add rule {{f}} {{t}} forward {{f}} daddr {{c}} accept

    """;

static string MasqText(string f, string t, string c, string p, string m) => $$"""
    add table {{f}} {{t}} { comment "rules for {{t}}" ; }
    add chain {{f}} {{t}} postrtg { type nat hook postrouting priority srcnat ; comment "chain to manage traffic masquerading by flannel" ; }
    flush chain {{f}} {{t}} postrtg
    add rule {{f}} {{t}} postrtg meta mark 0x4000 return
    add rule {{f}} {{t}} postrtg {{f}} saddr {{p}} {{f}} daddr {{c}} return
    add rule {{f}} {{t}} postrtg {{f}} saddr {{c}} {{f}} daddr {{p}} return
    add rule {{f}} {{t}} postrtg {{f}} saddr != {{p}} {{f}} daddr {{c}} return
    add rule {{f}} {{t}} postrtg {{f}} saddr {{c}} {{f}} daddr != {{m}} masquerade fully-random
    add rule {{f}} {{t}} postrtg {{f}} saddr != {{c}} {{f}} daddr {{c}} masquerade fully-random

    """;
