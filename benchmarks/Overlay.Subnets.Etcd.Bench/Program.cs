// Benchmark of the etcd subnet registry against a local etcd holding 5,000 flannel-format leases:
// time to list / snapshot, time for a new node to acquire, watch event latency (put → batch
// delivered), and gRPC calls per operation counted with a client interceptor. It starts its own
// etcd (Debian's etcd-server) on 127.0.0.1 and removes it afterwards.
//
//   dotnet run -c Release --project benchmarks/Overlay.Subnets.Etcd.Bench [-- --leases 5000]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Net.Client;
using Overlay.Subnets;
using Overlay.Subnets.Etcd;
using Overlay.Subnets.Etcd.Bench;

int leaseCount = args.Length == 2 && args[0] == "--leases" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5000;
const string Prefix = "/coreos.com/network";
const int Repeats = 5;

using LocalEtcd etcd = await LocalEtcd.StartAsync();
Console.WriteLine($"etcd {etcd.Endpoint}; {leaseCount} leases; {Environment.ProcessorCount} cores; .NET {Environment.Version}");

// Fill with flannel-format leases, one 24 h etcd lease per key (as flanneld does), written with
// the raw etcd client so that filling is not part of the measurement.
using GrpcChannel channel = GrpcChannel.ForAddress(etcd.Endpoint);
var kv = new KV.KVClient(channel);
var leases = new Etcdserverpb.Lease.LeaseClient(channel);
await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(Prefix + "/config"), Value = ByteString.CopyFromUtf8("{\"Network\":\"10.0.0.0/8\",\"Backend\":{\"Type\":\"vxlan\"}}") });
var fill = Stopwatch.StartNew();
await Parallel.ForEachAsync(Enumerable.Range(0, leaseCount), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
{
    int n = i + 256; // from 10.1.0.0/24 upward (SubnetMin is 10.0.1.0)
    string key = $"{Prefix}/subnets/10.{n >> 8}.{n & 255}.0-24";
    string value = $"{{\"PublicIP\":\"198.18.{i >> 8}.{i & 255}\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\",\"BackendData\":{{\"VNI\":1,\"VtepMAC\":\"aa:bb:cc:{(i >> 16) & 255:x2}:{(i >> 8) & 255:x2}:{i & 255:x2}\"}}}}";
    LeaseGrantResponse grant = await leases.LeaseGrantAsync(new LeaseGrantRequest { TTL = 86400 }, cancellationToken: ct);
    await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value), Lease = grant.ID }, cancellationToken: ct);
});
Console.WriteLine($"filled in {fill.Elapsed.TotalSeconds:F1} s");

var counter = new CallCounter();
using var registry = new EtcdSubnetRegistry(new EtcdSubnetRegistryOptions { Endpoints = [etcd.Endpoint], Prefix = Prefix, Interceptors = [counter] });
await registry.GetNetworkConfigAsync(); // connect once; not measured
var rows = new List<(string What, string Time, string Calls)>();

// 1. Listing (what allocation reads) and the watch snapshot (what a peer watcher reads first).
var times = new List<double>();
string calls = "";
for (int r = 0; r < Repeats; r++)
{
    counter.Reset();
    var sw = Stopwatch.StartNew();
    LeaseListing listing = await registry.ListLeasesAsync();
    times.Add(sw.Elapsed.TotalMilliseconds);
    calls = counter.Describe();
    if (listing.Leases.Length != leaseCount)
    {
        throw new InvalidOperationException($"listed {listing.Leases.Length} leases");
    }
}

rows.Add(($"list {leaseCount} leases", Median(times), calls));

times.Clear();
for (int r = 0; r < Repeats; r++)
{
    counter.Reset();
    using var cts = new CancellationTokenSource();
    var sw = Stopwatch.StartNew();
    await using IAsyncEnumerator<LeaseEventBatch> watch = registry.WatchLeasesAsync(cts.Token).GetAsyncEnumerator(cts.Token);
    await watch.MoveNextAsync();
    times.Add(sw.Elapsed.TotalMilliseconds);
    calls = counter.Describe();
    await cts.CancelAsync();
}

rows.Add(("watch: snapshot batch delivered", Median(times), calls));

// 2. A new node acquires a lease (config read, listing, grant, create transaction).
times.Clear();
for (int r = 0; r < Repeats; r++)
{
    counter.Reset();
    var sw = Stopwatch.StartNew();
    Overlay.Subnets.Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(new LeaseAttributes
    {
        PublicIP = IPAddress.Parse($"198.19.0.{r + 1}"),
        BackendType = "vxlan",
    }));
    times.Add(sw.Elapsed.TotalMilliseconds);
    calls = counter.Describe();
}

rows.Add(("new node acquires a lease", Median(times), calls));

// 3. Renewal of an own lease.
Overlay.Subnets.Lease own = await registry.AcquireLeaseAsync(new LeaseRequest(new LeaseAttributes { PublicIP = IPAddress.Parse("198.19.1.1"), BackendType = "vxlan" }));
times.Clear();
for (int r = 0; r < Repeats; r++)
{
    counter.Reset();
    var sw = Stopwatch.StartNew();
    own = await registry.RenewLeaseAsync(own);
    times.Add(sw.Elapsed.TotalMilliseconds);
    calls = counter.Describe();
}

rows.Add(("renew own lease", Median(times), calls));

// 4. Watch event latency: put with another client → batch delivered to the watch consumer.
{
    using var cts = new CancellationTokenSource();
    await using IAsyncEnumerator<LeaseEventBatch> watch = registry.WatchLeasesAsync(cts.Token).GetAsyncEnumerator(cts.Token);
    await watch.MoveNextAsync(); // snapshot
    counter.Reset();
    var latencies = new List<double>();
    for (int i = 0; i < 200; i++)
    {
        string key = $"{Prefix}/subnets/10.200.{i}.0-24";
        var sw = Stopwatch.StartNew();
        await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8($"{{\"PublicIP\":\"198.20.0.{i}\",\"PublicIPv6\":null}}") });
        if (!await watch.MoveNextAsync() || watch.Current.Events.Length != 1)
        {
            throw new InvalidOperationException("unexpected watch batch");
        }

        latencies.Add(sw.Elapsed.TotalMilliseconds);
    }

    latencies.Sort();
    rows.Add(("watch event latency, put → delivered (200 puts)",
        $"median {Median(latencies)}, p99 {latencies[(int)(latencies.Count * 0.99) - 1]:F2} ms",
        $"{counter.Describe()} for all 200 events (the stream opens after the snapshot; no call per event)"));
    await cts.CancelAsync();
}

Console.WriteLine();
Console.WriteLine("| operation | time (median of 5) | gRPC calls per operation |");
Console.WriteLine("|---|---|---|");
foreach ((string what, string time, string c) in rows)
{
    Console.WriteLine($"| {what} | {time} | {c} |");
}

Console.WriteLine();
Console.WriteLine($"flanneld, for comparison, lists with 1 Range + {leaseCount} LeaseTimeToLive calls (one per key), for the snapshot and for every acquisition.");
return 0;

static string Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted[sorted.Count / 2].ToString("F2", CultureInfo.InvariantCulture) + " ms";
}
