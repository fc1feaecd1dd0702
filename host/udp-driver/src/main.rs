//! `rxrpc-udp-driver server PORT SERVICE` or
//! `rxrpc-udp-driver client HOST:PORT SERVICE LEN [COUNT]`.

use std::net::SocketAddr;
use std::time::Instant;

use rxrpc_udp_driver::{client_call, serve, Driver};

fn main() -> std::io::Result<()> {
    let a: Vec<String> = std::env::args().collect();
    let seed = std::process::id();
    match a.get(1).map(String::as_str) {
        Some("server") if a.len() >= 4 => {
            let port: u16 = a[2].parse().expect("port");
            let service: u16 = a[3].parse().expect("service id");
            let mut d = Driver::bind(SocketAddr::from(([0, 0, 0, 0], port)), seed)?;
            eprintln!("serving service {service} on {}", d.local_addr());
            serve(&mut d, service, None)
        }
        Some("client") if a.len() >= 5 => {
            let server: SocketAddr = a[2].parse().expect("host:port");
            let service: u16 = a[3].parse().expect("service id");
            let len: usize = a[4].parse().expect("length");
            let count: u64 = a.get(5).map_or(1, |c| c.parse().expect("count"));
            let mut d = Driver::bind(SocketAddr::from(([0, 0, 0, 0], 0)), seed)?;
            let t = Instant::now();
            for i in 0..count {
                let outcome = client_call(&mut d, server, service, len, u64::from(seed) << 20 | i)?;
                println!("call {i}: {outcome:?}");
            }
            println!("{count} calls of {len} bytes each way in {:?}", t.elapsed());
            Ok(())
        }
        _ => {
            eprintln!(
                "usage: {0} server PORT SERVICE | {0} client HOST:PORT SERVICE LEN [COUNT]",
                a[0]
            );
            std::process::exit(2);
        }
    }
}
