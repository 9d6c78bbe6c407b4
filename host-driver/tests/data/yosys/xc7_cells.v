// A small design whose yosys synth_xilinx -family xc7 netlist holds every resource class
// the bench counts: LUTs, MUXF7, CARRY4, all four flip-flop kinds, LUT RAM, shift
// registers, a DSP48E1, a RAMB18E1 and a RAMB36E1. xc7_cells.stat.json is yosys 0.23's
// report of it, made with the bench's script (host-driver/src/bench/synth.rs):
//   yosys -q -p "read_verilog xc7_cells.v; synth_xilinx -family xc7 -top top; flatten;
//                tee -q -o xc7_cells.stat.json stat -json"
module top(
  input clk, input rst, input arst, input we,
  input [8:0] addr, input [5:0] raddr, input [7:0] a, input [7:0] b,
  input [63:0] wide, input [5:0] sel,
  output [15:0] prod, output [7:0] q_dist, output [1:0] q_dual, output [35:0] q_bram18,
  output [71:0] q_bram36, output q_srl16, output q_srl32, output q_mux,
  output reg [7:0] count, output reg [3:0] async_regs
);
  // DSP48E1: registered 16x16 multiply.
  reg [15:0] p;
  always @(posedge clk) p <= a * b;
  assign prod = p;
  // Distributed RAM, 64 x 8, one write and one read port.
  reg [7:0] dist [0:63];
  always @(posedge clk) if (we) dist[addr[5:0]] <= a;
  assign q_dist = dist[raddr];
  // Distributed RAM, 32 x 2 with two read ports.
  reg [1:0] dual [0:31];
  always @(posedge clk) if (we) dual[addr[4:0]] <= a[1:0];
  assign q_dual = dual[raddr[4:0]] ^ dual[addr[4:0]];
  // Block RAM, 512 x 36 (one RAMB18E1).
  reg [35:0] bram18 [0:511];
  reg [35:0] bram18_q;
  always @(posedge clk) begin
    if (we) bram18[addr] <= {a, b, a, b, a[3:0]};
    bram18_q <= bram18[addr];
  end
  assign q_bram18 = bram18_q;
  // Block RAM, 512 x 72 (one RAMB36E1).
  reg [71:0] bram36 [0:511];
  reg [71:0] bram36_q;
  always @(posedge clk) begin
    if (we) bram36[addr] <= {wide, a};
    bram36_q <= bram36[addr];
  end
  assign q_bram36 = bram36_q;
  // Shift registers: 16 and 32 deep.
  reg [15:0] sr16;
  reg [31:0] sr32;
  always @(posedge clk) begin
    sr16 <= {sr16[14:0], a[0]};
    sr32 <= {sr32[30:0], a[1]};
  end
  assign q_srl16 = sr16[15];
  assign q_srl32 = sr32[31];
  // 64:1 multiplexer (LUT6 + MUXF7 + MUXF8).
  assign q_mux = wide[sel];
  // Counter with synchronous reset and set (FDRE, FDSE, CARRY4).
  always @(posedge clk)
    if (rst) count <= 8'h01;
    else count <= count + b;
  // Asynchronously cleared and preset flip-flops (FDCE, FDPE).
  always @(posedge clk or posedge arst)
    if (arst) async_regs <= 4'b1010;
    else async_regs <= a[3:0] ^ b[7:4];
endmodule
