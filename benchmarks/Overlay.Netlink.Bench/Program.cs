// Bulk programming benchmark (privileged): installs and then deletes N routes, N neighbour entries and
// N vxlan FDB entries through Overlay.Netlink's pipelined bulk API, and the same work with
// `ip -batch` / `bridge -batch`, each in its own fresh network namespace, in the same run.
//
// Ours is timed from the first send to the last acknowledgement (the bulk call), adds and deletes
// separately. iproute2 is timed as the wall time of its process; its batch files are written before
// timing. Each cell is the median of --rounds runs. Ratio = ours / iproute2 (bar: <= 1.0).
//
//   dotnet run -c Release --project benchmarks/Overlay.Netlink.Bench -- [--count 10000] [--rounds 5] [--ack-each]

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Overlay.Netlink;

int count = 10_000;
int rounds = 5;
bool ackEach = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--count": count = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--ack-each": ackEach = true; break;
        default:
            Console.Error.WriteLine($"unknown argument {args[i]}; usage: [--count N] [--rounds R] [--ack-each]");
            return 2;
    }
}

if (!Environment.IsPrivilegedProcess)
{
    Console.Error.WriteLine("This benchmark creates network namespaces: run it as root.");
    return 1;
}

if (count is < 1 or > 65_000)
{
    Console.Error.WriteLine("--count must be between 1 and 65000 (addresses come from 198.19.0.0/16).");
    return 2;
}

Lab.AckEach = ackEach;
string work = Directory.CreateTempSubdirectory("ovl-nlbench-").FullName;
try
{
    var rows = new List<Row>
    {
        new("routes", RunRoutes),
        new("neighbours", RunNeighbours),
        new("fdb entries", RunFdb),
    };

    Console.WriteLine($"Overlay.Netlink bulk benchmark: {count} objects per row, median of {rounds} rounds, kernel {KernelInfo.Release}, {Environment.ProcessorCount} CPUs, {(ackEach ? "ack per message" : "ack per send")}");
    foreach (Row row in rows)
    {
        for (int r = 0; r < rounds; r++)
        {
            row.Run(row, r);
        }
    }

    Console.WriteLine();
    Console.WriteLine("| Row          | Ours add (ms) | iproute2 add (ms) | Ratio add | Ours del (ms) | iproute2 del (ms) | Ratio del |");
    Console.WriteLine("|--------------|--------------:|------------------:|----------:|--------------:|------------------:|----------:|");
    bool pass = true;
    foreach (Row row in rows)
    {
        double oa = Median(row.OursAdd), ia = Median(row.IpAdd), od = Median(row.OursDelete), id = Median(row.IpDelete);
        pass &= oa <= ia && od <= id;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {row.Name,-12} | {oa,13:F1} | {ia,17:F1} | {oa / ia,9:F2} | {od,13:F1} | {id,17:F1} | {od / id,9:F2} |"));
    }

    Console.WriteLine();
    Console.WriteLine(pass ? "PASS: ratio <= 1.0 on every row" : "FAIL: a ratio is above 1.0");
    return pass ? 0 : 1;
}
finally
{
    Directory.Delete(work, recursive: true);
}

// ---- rows -------------------------------------------------------------------------------------

void RunRoutes(Row row, int round)
{
    using (var lab = Lab.Create())
    {
        int vx0 = lab.Setup();
        var routes = Enumerable.Range(0, count).Select(i => new Route
        {
            Destination = new IPNetwork(Address(19, i), 32),
            Gateway = IPAddress.Parse("198.19.255.254"),
            OutputInterface = vx0,
            Flags = RouteFlags.OnLink,
            Protocol = 78,
        }).ToList();
        row.OursAdd.Add(Time(() => Expect(lab.Client.RouteBulkAsync(NetlinkBulkOperation.Add, routes).AsTask().Result)));
        Check(lab.CountRoutes(), count, "routes after our add");
        row.OursDelete.Add(Time(() => Expect(lab.Client.RouteBulkAsync(NetlinkBulkOperation.Delete, routes).AsTask().Result)));
        Check(lab.CountRoutes(), 0, "routes after our delete");
    }

    using (var lab = Lab.Create())
    {
        lab.Setup();
        string add = Write($"routes-add-{round}", i => $"route add {Address(19, i)}/32 via 198.19.255.254 dev vx0 onlink proto 78");
        string del = Write($"routes-del-{round}", i => $"route del {Address(19, i)}/32 via 198.19.255.254 dev vx0 onlink proto 78");
        row.IpAdd.Add(TimeProcess("ip", $"-n {lab.Name} -batch {add}"));
        Check(lab.CountRoutes(), count, "routes after ip add");
        row.IpDelete.Add(TimeProcess("ip", $"-n {lab.Name} -batch {del}"));
        Check(lab.CountRoutes(), 0, "routes after ip delete");
    }
}

void RunNeighbours(Row row, int round)
{
    using (var lab = Lab.Create())
    {
        int vx0 = lab.Setup();
        var neighbours = Enumerable.Range(0, count).Select(i => new Neighbor
        {
            InterfaceIndex = vx0,
            Address = Address(19, i),
            LinkLayerAddress = Mac(i),
        }).ToList();
        row.OursAdd.Add(Time(() => Expect(lab.Client.NeighborBulkAsync(NetlinkBulkOperation.Add, neighbours).AsTask().Result)));
        Check(lab.CountNeighbours(), count, "neighbours after our add");
        row.OursDelete.Add(Time(() => Expect(lab.Client.NeighborBulkAsync(NetlinkBulkOperation.Delete, neighbours).AsTask().Result)));
        Check(lab.CountNeighbours(), 0, "neighbours after our delete");
    }

    using (var lab = Lab.Create())
    {
        lab.Setup();
        string add = Write($"neigh-add-{round}", i => $"neigh add {Address(19, i)} lladdr {Mac(i)} dev vx0 nud permanent");
        string del = Write($"neigh-del-{round}", i => $"neigh del {Address(19, i)} dev vx0");
        row.IpAdd.Add(TimeProcess("ip", $"-n {lab.Name} -batch {add}"));
        Check(lab.CountNeighbours(), count, "neighbours after ip add");
        row.IpDelete.Add(TimeProcess("ip", $"-n {lab.Name} -batch {del}"));
        Check(lab.CountNeighbours(), 0, "neighbours after ip delete");
    }
}

void RunFdb(Row row, int round)
{
    using (var lab = Lab.Create())
    {
        int vx0 = lab.Setup();
        var entries = Enumerable.Range(0, count).Select(i => new FdbEntry
        {
            InterfaceIndex = vx0,
            MacAddress = Mac(i),
            Destination = Address(18, 256 + i),
            State = NeighborState.Permanent | NeighborState.NoArp,
        }).ToList();
        row.OursAdd.Add(Time(() => Expect(lab.Client.FdbBulkAsync(NetlinkBulkOperation.Append, entries).AsTask().Result)));
        Check(lab.CountFdb(), count, "fdb entries after our add");
        row.OursDelete.Add(Time(() => Expect(lab.Client.FdbBulkAsync(NetlinkBulkOperation.Delete, entries).AsTask().Result)));
        Check(lab.CountFdb(), 0, "fdb entries after our delete");
    }

    using (var lab = Lab.Create())
    {
        lab.Setup();
        string add = Write($"fdb-add-{round}", i => $"fdb append {Mac(i)} dev vx0 dst {Address(18, 256 + i)} self permanent");
        string del = Write($"fdb-del-{round}", i => $"fdb del {Mac(i)} dev vx0 dst {Address(18, 256 + i)} self");
        row.IpAdd.Add(TimeProcess("bridge", $"-n {lab.Name} -batch {add}"));
        Check(lab.CountFdb(), count, "fdb entries after bridge add");
        row.IpDelete.Add(TimeProcess("bridge", $"-n {lab.Name} -batch {del}"));
        Check(lab.CountFdb(), 0, "fdb entries after bridge delete");
    }
}

// ---- helpers ----------------------------------------------------------------------------------

static IPAddress Address(byte second, int i) => new(new byte[] { 198, second, (byte)(i >> 8), (byte)(i & 0xFF) });

static MacAddress Mac(int i) => MacAddress.FromUInt64(0x0242_c613_0000UL + (ulong)i);

static double Time(Action action)
{
    long start = Stopwatch.GetTimestamp();
    action();
    return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
}

static double TimeProcess(string file, string arguments)
{
    var info = new ProcessStartInfo(file, arguments) { RedirectStandardError = true, UseShellExecute = false };
    long start = Stopwatch.GetTimestamp();
    using Process process = Process.Start(info)!;
    string stderr = process.StandardError.ReadToEnd();
    process.WaitForExit();
    double elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"{file} {arguments} failed: {stderr}");
    }

    return elapsed;
}

static void Expect(NetlinkBulkResult result)
{
    if (!result.IsSuccess)
    {
        NetlinkBulkFailure first = result.Failures[0];
        throw new InvalidOperationException($"{result.Failures.Count} bulk items failed; first: index {first.Index} {NetlinkException.ErrnoName(first.Errno)} {first.ExtendedAckMessage}");
    }
}

static void Check(int actual, int expected, string what)
{
    if (actual != expected)
    {
        throw new InvalidOperationException($"{what}: {actual}, expected {expected}");
    }
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

string Write(string name, Func<int, string> line)
{
    var text = new StringBuilder(count * 64);
    for (int i = 0; i < count; i++)
    {
        text.Append(line(i)).Append('\n');
    }

    string path = Path.Combine(work, name + ".batch");
    File.WriteAllText(path, text.ToString());
    return path;
}

internal sealed record Row(string Name, Action<Row, int> Run)
{
    public List<double> OursAdd { get; } = [];
    public List<double> OursDelete { get; } = [];
    public List<double> IpAdd { get; } = [];
    public List<double> IpDelete { get; } = [];
}

/// <summary>A fresh namespace with an underlay veth (198.18.0.1/24) and vx0 (VNI 42), set up with the library.</summary>
internal sealed class Lab : IDisposable
{
    private Lab(string name, NetworkNamespace ns, NetlinkClient client)
    {
        Name = name;
        Namespace = ns;
        Client = client;
    }

    public string Name { get; }

    public NetworkNamespace Namespace { get; }

    public NetlinkClient Client { get; }

    public static bool AckEach { get; set; }

    public static Lab Create()
    {
        string name = $"ovl-nlb-{Environment.ProcessId}-{Random.Shared.Next(0x100000, 0xFFFFFF):x6}";
        NetworkNamespace ns = NetworkNamespace.Create(name);
        return new Lab(name, ns, ns.OpenNetlinkClient(new NetlinkClientOptions { BulkAcknowledgeEach = AckEach }));
    }

    public int Setup()
    {
        Link lo = Client.GetLinkAsync("lo").AsTask().Result;
        Client.LinkSetUpAsync(lo.Index).AsTask().Wait();
        Link ul0 = Client.LinkAddAsync(new VethLinkSpec { Name = "ul0", PeerName = "ul1" }).AsTask().Result;
        Client.LinkSetUpAsync(ul0.Index).AsTask().Wait();
        Client.LinkSetUpAsync(Client.GetLinkAsync("ul1").AsTask().Result.Index).AsTask().Wait();
        Client.AddressAddAsync(new LinkAddress { InterfaceIndex = ul0.Index, Address = IPAddress.Parse("198.18.0.1"), PrefixLength = 24 }).AsTask().Wait();
        Link vx0 = Client.LinkAddAsync(new VxlanLinkSpec { Name = "vx0", Vni = 42, Local = IPAddress.Parse("198.18.0.1"), UnderlayIndex = ul0.Index, Port = 4789, Learning = false }).AsTask().Result;
        Client.LinkSetUpAsync(vx0.Index).AsTask().Wait();
        return vx0.Index;
    }

    public int CountRoutes() => Client.RoutesAsync(new RouteFilter { Protocol = 78 }).ToListAsync().AsTask().Result.Count;

    public int CountNeighbours() => Client.NeighborsAsync(System.Net.Sockets.AddressFamily.InterNetwork, Client.GetLinkAsync("vx0").AsTask().Result.Index)
        .ToListAsync().AsTask().Result.Count(n => n.State.HasFlag(NeighborState.Permanent));

    public int CountFdb() => Client.FdbEntriesAsync(Client.GetLinkAsync("vx0").AsTask().Result.Index)
        .ToListAsync().AsTask().Result.Count(e => e.Destination is not null);

    public void Dispose()
    {
        Client.Dispose();
        Namespace.Dispose();
        NetworkNamespace.Delete(Name);
    }
}
